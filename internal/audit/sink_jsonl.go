package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// jsonlSink appends one JSON line per record (the export's "record" line)
// to a file, rotating it at MaxSize: file → file.1 → … → file.MaxFiles.
type jsonlSink struct {
	name     string
	path     string
	maxSize  int64
	maxFiles int
	fsync    bool

	mu   sync.Mutex
	f    *os.File
	size int64
}

func newJSONLSink(sc SinkConfig) (*jsonlSink, error) {
	s := &jsonlSink{name: sc.name(), path: sc.Path, maxSize: int64(sc.MaxSize), maxFiles: sc.MaxFiles, fsync: sc.Fsync || sc.Required}
	if s.maxSize == 0 {
		s.maxSize = 100 << 20
	}
	if s.maxFiles == 0 {
		s.maxFiles = 10
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, err
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *jsonlSink) open() error {
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	s.f, s.size = f, st.Size()
	return nil
}

func (s *jsonlSink) Name() string { return s.name }

func (s *jsonlSink) rotate() error {
	if err := s.f.Close(); err != nil {
		return err
	}
	s.f = nil
	os.Remove(fmt.Sprintf("%s.%d", s.path, s.maxFiles))
	for i := s.maxFiles - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", s.path, i), fmt.Sprintf("%s.%d", s.path, i+1))
	}
	if err := os.Rename(s.path, s.path+".1"); err != nil {
		return err
	}
	return s.open()
}

func (s *jsonlSink) Write(_ context.Context, recs []*StoredRecord) error {
	var buf []byte
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf = append(append(buf, b...), '\n')
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	if s.size > 0 && s.size+int64(len(buf)) > s.maxSize {
		if err := s.rotate(); err != nil {
			return fmt.Errorf("rotate: %w", err)
		}
	}
	n, err := s.f.Write(buf)
	s.size += int64(n)
	if err != nil {
		return err
	}
	if s.fsync {
		return s.f.Sync()
	}
	return nil
}

func (s *jsonlSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}
