package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sse writes one event and flushes.
func sse(w http.ResponseWriter, data string) {
	io.WriteString(w, "data: "+data+"\n\n")
	w.(http.Flusher).Flush()
}

func TestStreamIdleTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		sse(w, `{"n":1}`)
		select { // then go silent
		case <-release:
		case <-r.Context().Done():
		case <-time.After(30 * time.Second): // end a broken test instead of hanging
		}
	})
	p := mustPool(t, Config{Upstreams: []UpstreamConfig{{Name: "u", URL: up.v1(), StreamIdleTimeout: dur(30 * time.Millisecond)}}})
	r := chat("m")
	r.Stream = true
	resp, err := p.Forward(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: {\"n\":1}\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	_, err = io.ReadAll(br)
	if !errors.Is(err, ErrStreamIdle) {
		t.Errorf("silent stream: err = %v, want ErrStreamIdle", err)
	}
}

// A stream outlives the overall Timeout as long as data keeps arriving.
func TestStreamNotCutByOverallTimeout(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for range 5 {
			sse(w, `{}`)
			time.Sleep(10 * time.Millisecond)
		}
		sse(w, "[DONE]")
	})
	p := mustPool(t, Config{Upstreams: []UpstreamConfig{{Name: "u", URL: up.v1(), Timeout: dur(time.Millisecond), StreamIdleTimeout: dur(time.Minute)}}})
	r := chat("m")
	r.Stream = true
	resp, body, err := forward(t, p, r)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("data: {}\n\n", 5) + "data: [DONE]\n\n"
	if resp.Header.Get("Content-Type") != "text/event-stream" || body != want {
		t.Errorf("stream body %q", body)
	}
}
