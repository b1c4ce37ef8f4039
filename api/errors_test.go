package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestErrorResponsesBecomeStatusErrors(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		header      http.Header
		body        string
		want        StatusError
		wantMessage string // in Error()
	}{
		{
			name: "genie error body", status: 404,
			body: `{"errorCode":404,"message":"No job with id j9"}`,
			want: StatusError{Code: 404, Message: "No job with id j9"}, wantMessage: "404 Not Found: No job with id j9",
		},
		{
			name: "field at fault", status: 412,
			body: `{"errorCode":412,"message":"must not be blank","field":"name"}`,
			want: StatusError{Code: 412, Message: "must not be blank", Field: "name"}, wantMessage: "412 Precondition Failed: must not be blank (field name)",
		},
		{
			name: "message only", status: 500, body: `{"message":"boom"}`,
			want: StatusError{Code: 500, Message: "boom"}, wantMessage: "500 Internal Server Error: boom",
		},
		{
			name: "null message", status: 500, body: `{"message":null}`,
			want: StatusError{Code: 500}, wantMessage: "500 Internal Server Error",
		},
		{
			name: "empty body", status: 415,
			want: StatusError{Code: 415}, wantMessage: "415 Unsupported Media Type",
		},
		{
			name: "text body", status: 502, body: "bad gateway\n",
			want: StatusError{Code: 502, Message: "bad gateway"}, wantMessage: "502 Bad Gateway: bad gateway",
		},
		{
			name: "retry after", status: 503, header: http.Header{"Retry-After": {"2"}},
			body:        `{"errorCode":503,"message":"cluster is full"}`,
			want:        StatusError{Code: 503, Message: "cluster is full", RetryAfter: 2 * time.Second},
			wantMessage: "503 Service Unavailable: cluster is full",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c, _ := NewClient(&Config{Address: srv.URL})
			_, err := c.Jobs().Get(context.Background(), "j9")
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err %v (%T) is not a *StatusError", err, err)
			}
			if *se != tc.want {
				t.Fatalf("got %+v, want %+v", *se, tc.want)
			}
			if se.Error() != tc.wantMessage {
				t.Fatalf("Error() = %q, want %q", se.Error(), tc.wantMessage)
			}
			if IsNotFound(err) != (tc.status == 404) || !HasStatus(err, tc.status) {
				t.Fatal("IsNotFound / HasStatus disagree with the status")
			}
		})
	}
}

// unavailableServer answers 503 with Retry-After to the first n requests and
// 202 afterwards, checking each carries the same body.
func unavailableServer(t *testing.T, n int32, calls *atomic.Int32) *httptest.Server {
	var first string
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 {
			first = string(body)
		} else if string(body) != first {
			t.Errorf("retry sent %q, first request %q", body, first)
		}
		if calls.Load() <= n {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"errorCode":503,"message":"cluster is full"}`)
			return
		}
		w.Header().Set("Location", "http://h/api/v3/jobs/j1")
		w.WriteHeader(http.StatusAccepted)
	}))
}

func TestRetryUnavailableWhenAsked(t *testing.T) {
	var calls atomic.Int32
	srv := unavailableServer(t, 2, &calls)
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL, RetryUnavailable: true, MaxRetries: 3, MaxRetryWait: 10 * time.Millisecond})
	id, err := c.Jobs().Submit(context.Background(), &JobRequest{Name: "x"})
	if err != nil || id != "j1" {
		t.Fatalf("id %q, err %v", id, err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d requests, want 3", calls.Load())
	}
}

func TestRetryGivesUpAfterMaxRetries(t *testing.T) {
	var calls atomic.Int32
	srv := unavailableServer(t, 100, &calls)
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL, RetryUnavailable: true, MaxRetries: 2, MaxRetryWait: time.Millisecond})
	_, err := c.Jobs().Submit(context.Background(), &JobRequest{Name: "x"})
	if !HasStatus(err, 503) || calls.Load() != 3 {
		t.Fatalf("err %v after %d requests, want a 503 after 3", err, calls.Load())
	}
}

func TestNoRetryUnlessAsked(t *testing.T) {
	var calls atomic.Int32
	srv := unavailableServer(t, 1, &calls)
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL})
	_, err := c.Jobs().Submit(context.Background(), &JobRequest{Name: "x"})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 503 || se.RetryAfter != time.Second {
		t.Fatalf("err %v, want a 503 with RetryAfter 1s", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d requests, want 1", calls.Load())
	}
}

func TestRetryWaitStopsWithTheContext(t *testing.T) {
	var calls atomic.Int32
	srv := unavailableServer(t, 100, &calls)
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL, RetryUnavailable: true, MaxRetries: 10})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Jobs().Submit(ctx, &JobRequest{Name: "x"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
}

func TestCreateWithoutLocationFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL})
	if _, err := c.Clusters().Create(context.Background(), &Cluster{}); err == nil {
		t.Fatal("want an error for a 201 without Location")
	}
}
