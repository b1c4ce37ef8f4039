package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fileServer serves one growing file at /api/v3/jobs/j1/output/stdout with
// Range support, as Spring's resource handler does.
type fileServer struct {
	mu      sync.Mutex
	content []byte
	ranges  []string
	// ignoreRange answers every request with the whole file.
	ignoreRange bool
}

func (f *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v3/jobs/j1/output/stdout" {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"errorCode":404,"message":"No such file"}`)
		return
	}
	f.mu.Lock()
	content := append([]byte(nil), f.content...)
	f.ranges = append(f.ranges, r.Header.Get("Range"))
	f.mu.Unlock()
	if f.ignoreRange {
		r.Header.Del("Range")
	}
	w.Header().Set("Content-Type", "text/plain")
	http.ServeContent(w, r, "stdout", time.Time{}, bytes.NewReader(content))
}

func readOutput(t *testing.T, c *Client, offset int64) (*OutputFile, string) {
	t.Helper()
	f, err := c.Jobs().OutputFile(context.Background(), "j1", "stdout", offset)
	if err != nil {
		t.Fatalf("OutputFile(%d): %v", offset, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return f, string(b)
}

func TestOutputFileFromOffset(t *testing.T) {
	fs := &fileServer{content: []byte("hello\nworld\n")}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL})

	f, body := readOutput(t, c, 0)
	if body != "hello\nworld\n" || f.StatusCode != 200 || f.Offset != 0 || f.Size != 12 {
		t.Fatalf("whole file: %q %+v", body, f)
	}
	f, body = readOutput(t, c, 6)
	if body != "world\n" || f.StatusCode != 206 || f.Offset != 6 || f.Size != 12 {
		t.Fatalf("from 6: %q %+v", body, f)
	}
	f, body = readOutput(t, c, 12)
	if body != "" || f.StatusCode != 416 || f.Size != 12 {
		t.Fatalf("at the end: %q %+v", body, f)
	}
	f, body = readOutput(t, c, 40)
	if body != "" || f.StatusCode != 416 {
		t.Fatalf("past the end: %q %+v", body, f)
	}
	if want := []string{"", "bytes=6-", "bytes=12-", "bytes=40-"}; strings.Join(fs.ranges, ",") != strings.Join(want, ",") {
		t.Fatalf("ranges sent %q, want %q", fs.ranges, want)
	}
}

func TestOutputFileSkipsWhenRangeIsIgnored(t *testing.T) {
	fs := &fileServer{content: []byte("hello\nworld\n"), ignoreRange: true}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL})
	f, body := readOutput(t, c, 6)
	if body != "world\n" || f.StatusCode != 200 || f.Offset != 6 {
		t.Fatalf("%q %+v", body, f)
	}
}

func TestOutputFileMissing(t *testing.T) {
	srv := httptest.NewServer(&fileServer{})
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL})
	_, err := c.Jobs().OutputFile(context.Background(), "j1", "stderr", 0)
	if !IsNotFound(err) {
		t.Fatalf("err %v, want a 404", err)
	}
}

func TestParseContentRange(t *testing.T) {
	cases := []struct {
		in          string
		start, size int64
		ok          bool
	}{
		{"bytes 6-11/12", 6, 12, true},
		{"bytes 0-0/*", 0, -1, true},
		{"bytes */12", 0, 12, true},
		{"bytes */0", 0, 0, true},
		{"items 0-1/2", 0, -1, false},
		{"bytes 6-11", 0, -1, false},
	}
	for _, tc := range cases {
		start, size, ok := parseContentRange(tc.in)
		if start != tc.start || size != tc.size || ok != tc.ok {
			t.Errorf("%q: got %d %d %v, want %d %d %v", tc.in, start, size, ok, tc.start, tc.size, tc.ok)
		}
	}
}
