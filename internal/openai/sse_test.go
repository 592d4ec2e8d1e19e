package openai

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func readAll(t testing.TB, in string) []*Event {
	t.Helper()
	r := NewSSEReader(strings.NewReader(in))
	var evs []*Event
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return evs
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		evs = append(evs, ev)
	}
}

func TestSSEDecode(t *testing.T) {
	in := ": keep-alive\n\n" +
		"event: delta\r\nid: 7\r\ndata: {\"a\":\r\ndata:1}\r\n\r\n" +
		"data:no-space\rretry: 300\r\r" +
		"unknown: x\ndata\n\n" +
		"data: [DONE]" // no final blank line
	evs := readAll(t, in)
	if len(evs) != 5 {
		t.Fatalf("got %d events: %+v", len(evs), evs)
	}
	if evs[0].Comment != "keep-alive" || evs[0].HasData {
		t.Errorf("comment: %+v", evs[0])
	}
	if evs[1].Name != "delta" || evs[1].ID != "7" || string(evs[1].Data) != "{\"a\":\n1}" {
		t.Errorf("multi-line: %+v", evs[1])
	}
	if string(evs[2].Data) != "no-space" || evs[2].Retry != 300 {
		t.Errorf("cr: %+v", evs[2])
	}
	if !evs[3].HasData || len(evs[3].Data) != 0 {
		t.Errorf("empty data: %+v", evs[3])
	}
	if !evs[4].IsDone() {
		t.Errorf("done: %+v", evs[4])
	}
}

func TestSSERoundTrip(t *testing.T) {
	evs := []*Event{
		{Data: []byte(`{"x":"a\nb"}`), HasData: true},
		{Name: "error", Data: []byte("line1\nline2\r\nline3"), HasData: true},
		{Comment: "ping"},
		{Data: []byte("[DONE]"), HasData: true},
	}
	var b bytes.Buffer
	for _, e := range evs {
		if err := WriteEvent(&b, e); err != nil {
			t.Fatal(err)
		}
	}
	got := readAll(t, b.String())
	if len(got) != len(evs) {
		t.Fatalf("%d events", len(got))
	}
	if string(got[1].Data) != "line1\nline2\nline3" || got[1].Name != "error" || got[2].Comment != "ping" || !got[3].IsDone() {
		t.Fatalf("%+v", got)
	}
}

func TestSSETooLarge(t *testing.T) {
	r := NewSSEReader(strings.NewReader("data: " + strings.Repeat("x", MaxEventSize+10) + "\n\n"))
	if _, err := r.Next(); !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzSSECodec: decoding never panics, and what is decoded re-encodes to
// a stream that decodes to the same events.
func FuzzSSECodec(f *testing.F) {
	f.Add("data: {\"a\":1}\n\ndata: [DONE]\n\n")
	f.Add(": c\r\nevent: e\rdata: x\r\n\r\ndata\n\nid: \x00\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		r := NewSSEReader(strings.NewReader(in))
		var evs []*Event
		for range 1000 {
			ev, err := r.Next()
			if err != nil {
				break
			}
			evs = append(evs, ev)
		}
		var b bytes.Buffer
		for _, e := range evs {
			if err := WriteEvent(&b, e); err != nil {
				t.Fatal(err)
			}
		}
		again := readAll(t, b.String())
		if len(again) > len(evs) {
			t.Fatalf("re-encoding grew %d → %d events", len(evs), len(again))
		}
		for i := range min(len(again), len(evs)) {
			want := bytes.ReplaceAll(bytes.ReplaceAll(evs[i].Data, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
			if evs[i].HasData && !bytes.Equal(again[i].Data, want) {
				t.Fatalf("event %d: %q → %q", i, evs[i].Data, again[i].Data)
			}
		}
	})
}

// TestSSECRDoesNotWait: an event ended by CR CR is returned at once, even
// though the upstream has sent nothing after it yet; an LF arriving later
// still belongs to the CR before it.
func TestSSECRDoesNotWait(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewSSEReader(pr)
	go func() { _, _ = pw.Write([]byte("data: a\r\r")) }()
	ev, err := r.Next()
	if err != nil || string(ev.Data) != "a" {
		t.Fatalf("first event %+v, %v", ev, err)
	}
	go func() {
		_, _ = pw.Write([]byte("\ndata: b\r"))
		_, _ = pw.Write([]byte("\n\n"))
		pw.Close()
	}()
	ev, err = r.Next()
	if err != nil || string(ev.Data) != "b" {
		t.Fatalf("second event %+v, %v", ev, err)
	}
	if ev, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last event: %+v, %v", ev, err)
	}
}
