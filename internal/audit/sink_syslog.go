package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// syslogSink sends each record as an RFC 5424 message whose MSG is the
// record's JSON line:
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID audit - JSON
//
// Severity is notice (5) for blocked, unauthorized and anomaly events and
// info (6) otherwise. Over tcp and unix streams, messages are framed by
// octet counting (RFC 6587: "LEN SP MSG").
type syslogSink struct {
	name, network, addr string
	facility            int
	host, app, procid   string

	mu   sync.Mutex
	conn net.Conn
}

func newSyslogSink(sc SinkConfig) (*syslogSink, error) {
	s := &syslogSink{name: sc.name(), network: sc.Network, addr: sc.Address, host: sc.Hostname, app: sc.AppName, procid: strconv.Itoa(os.Getpid())}
	s.facility = facilities["local0"]
	if sc.Facility != "" {
		s.facility = facilities[sc.Facility]
	}
	if s.host == "" {
		s.host, _ = os.Hostname()
		if s.host == "" {
			s.host = "-"
		}
	}
	if s.app == "" {
		s.app = "rampart"
	}
	return s, nil
}

func (s *syslogSink) Name() string { return s.name }

func (s *syslogSink) stream() bool { return s.network == "tcp" || s.network == "unix" }

func severity(ev json.RawMessage) int {
	var e struct {
		Kind     string `json:"kind"`
		Decision string `json:"decision"`
	}
	_ = json.Unmarshal(ev, &e)
	switch {
	case e.Kind == "anomaly", e.Decision == "block", e.Decision == "unauthorized":
		return 5
	}
	return 6
}

func (s *syslogSink) format(r *StoredRecord, now time.Time) ([]byte, error) {
	line, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	pri := s.facility*8 + severity(r.Event)
	msg := fmt.Appendf(nil, "<%d>1 %s %s %s %s audit - ", pri, now.UTC().Format("2006-01-02T15:04:05.000000Z"), s.host, s.app, s.procid)
	msg = append(msg, line...)
	if s.stream() {
		msg = append(fmt.Appendf(nil, "%d ", len(msg)), msg...)
	}
	return msg, nil
}

func (s *syslogSink) Write(ctx context.Context, recs []*StoredRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, r := range recs {
		msg, err := s.format(r, now)
		if err != nil {
			return err
		}
		if err := s.send(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

// send writes one message, redialling once if the connection broke.
func (s *syslogSink) send(ctx context.Context, msg []byte) error {
	for attempt := 0; ; attempt++ {
		if s.conn == nil {
			d := net.Dialer{Timeout: 5 * time.Second}
			c, err := d.DialContext(ctx, s.network, s.addr)
			if err != nil {
				return err
			}
			s.conn = c
		}
		if dl, ok := ctx.Deadline(); ok {
			s.conn.SetWriteDeadline(dl)
		}
		_, err := s.conn.Write(msg)
		if err == nil {
			return nil
		}
		s.conn.Close()
		s.conn = nil
		if attempt > 0 {
			return err
		}
	}
}

func (s *syslogSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
