package openai

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Event is one Server-Sent Event. A comment line (": keep-alive") is an
// Event with Comment set and nothing else.
type Event struct {
	Name    string // the "event:" field; "" means "message"
	ID      string // the "id:" field, if any
	Retry   int    // the "retry:" field in milliseconds; 0 when absent
	Data    []byte // every "data:" line joined with "\n"
	Comment string // a comment line, without the leading ':'
	HasData bool   // at least one "data:" line was present (Data may be empty)
}

// IsDone reports whether the event is OpenAI's end marker, data: [DONE].
func (e *Event) IsDone() bool { return e.HasData && bytes.Equal(bytes.TrimSpace(e.Data), doneData) }

var doneData = []byte("[DONE]")

// MaxEventSize bounds one event (all its lines) when decoding.
const MaxEventSize = 4 << 20

// ErrEventTooLarge is returned by SSEReader.Next for an event over
// MaxEventSize.
var ErrEventTooLarge = errors.New("sse: event too large")

// SSEReader decodes an event stream as the WHATWG specification says:
// lines end in LF, CR or CRLF; a blank line dispatches the event; "data:"
// lines accumulate; a single space after the colon is dropped; unknown
// fields are ignored. Comments are returned as events of their own so a
// relay can forward keep-alives.
type SSEReader struct {
	r    *bufio.Reader
	size int
	// skipLF is set after a line ended in CR with nothing buffered behind
	// it: a following LF belongs to that line end. Peeking for it instead
	// would block until upstream sends its next bytes, holding back the
	// event that the CR ended.
	skipLF bool
}

// NewSSEReader returns a decoder reading from r.
func NewSSEReader(r io.Reader) *SSEReader {
	return &SSEReader{r: bufio.NewReaderSize(r, 32<<10)}
}

// readLine returns one line without its terminator. At EOF with a partial
// line, it returns the partial line and nil; at EOF with nothing, io.EOF.
func (s *SSEReader) readLine() ([]byte, error) {
	var line []byte
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
		if s.skipLF {
			s.skipLF = false
			if b == '\n' {
				continue
			}
		}
		switch b {
		case '\n':
			return line, nil
		case '\r':
			if s.r.Buffered() == 0 {
				s.skipLF = true
			} else if nb, _ := s.r.Peek(1); nb[0] == '\n' {
				_, _ = s.r.ReadByte()
			}
			return line, nil
		}
		s.size++
		if s.size > MaxEventSize {
			return nil, ErrEventTooLarge
		}
		line = append(line, b)
		// Fast path: copy the rest of the line in one go.
		if buf, _ := s.r.Peek(s.r.Buffered()); len(buf) > 0 {
			i := bytes.IndexAny(buf, "\r\n")
			if i < 0 {
				i = len(buf)
			}
			if s.size+i > MaxEventSize {
				return nil, ErrEventTooLarge
			}
			line = append(line, buf[:i]...)
			s.size += i
			_, _ = s.r.Discard(i)
		}
	}
}

// Next returns the next event. It returns io.EOF after the last event; an
// event cut off by the end of the stream is still returned when it carries
// data (upstreams often omit the final blank line).
func (s *SSEReader) Next() (*Event, error) {
	var ev Event
	s.size = 0
	started := false
	for {
		line, err := s.readLine()
		if err != nil {
			if err == io.EOF && started && (ev.HasData || ev.Name != "") {
				return &ev, nil
			}
			return nil, err
		}
		if len(line) == 0 {
			if !started {
				continue
			}
			return &ev, nil
		}
		if line[0] == ':' {
			if !started {
				c := string(bytes.TrimPrefix(line[1:], []byte(" ")))
				return &Event{Comment: c}, nil
			}
			continue // a comment inside an event is ignored
		}
		started = true
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			value = bytes.TrimPrefix(value, []byte(" "))
		}
		switch string(field) {
		case "data":
			if ev.HasData {
				ev.Data = append(ev.Data, '\n')
			}
			ev.Data = append(ev.Data, value...)
			ev.HasData = true
		case "event":
			ev.Name = string(value)
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				ev.ID = string(value)
			}
		case "retry":
			if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 {
				ev.Retry = n
			}
		}
	}
}

// WriteEvent encodes ev. Data containing line breaks is split over several
// "data:" lines, so any byte string round-trips (CR and CRLF become LF).
func WriteEvent(w io.Writer, ev *Event) error {
	var b bytes.Buffer
	if ev.Comment != "" && !ev.HasData && ev.Name == "" {
		b.WriteString(": ")
		b.WriteString(oneLine(ev.Comment))
		b.WriteString("\n\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	if ev.Name != "" {
		fmt.Fprintf(&b, "event: %s\n", oneLine(ev.Name))
	}
	if ev.ID != "" {
		fmt.Fprintf(&b, "id: %s\n", oneLine(ev.ID))
	}
	if ev.Retry > 0 {
		fmt.Fprintf(&b, "retry: %d\n", ev.Retry)
	}
	data := bytes.ReplaceAll(ev.Data, []byte("\r\n"), []byte("\n"))
	data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	for _, l := range bytes.Split(data, []byte("\n")) {
		b.WriteString("data: ")
		b.Write(l)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// WriteData writes one data-only event.
func WriteData(w io.Writer, data []byte) error {
	return WriteEvent(w, &Event{Data: data, HasData: true})
}

// WriteDone writes data: [DONE].
func WriteDone(w io.Writer) error { return WriteData(w, doneData) }

// WriteError writes the error object as a data event, the way OpenAI ends
// a failed stream.
func WriteError(w io.Writer, e *Error) error { return WriteData(w, e.Body()) }

func oneLine(s string) string {
	if i := bytes.IndexAny([]byte(s), "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
