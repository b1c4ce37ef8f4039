package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// QueryMeta is what a read of the replicated state says about itself.
type QueryMeta struct {
	// LastIndex is the raft index of the data read: pass it as a blocking
	// query's index to wait for the next change.
	LastIndex uint64
	// KnownLeader is whether the answering node knew of a leader.
	KnownLeader bool
	// LastContact is how long before the answer the node last heard from
	// the leader: the read's staleness.
	LastContact time.Duration
}

func queryMetaOf(resp *http.Response) *QueryMeta {
	m := &QueryMeta{}
	if resp == nil {
		return m
	}
	m.LastIndex, _ = strconv.ParseUint(resp.Header.Get("X-Genie-Index"), 10, 64)
	m.KnownLeader = resp.Header.Get("X-Genie-KnownLeader") == "true"
	if ms, err := strconv.ParseInt(resp.Header.Get("X-Genie-LastContact"), 10, 64); err == nil {
		m.LastContact = time.Duration(ms) * time.Millisecond
	}
	return m
}

// blocking adds a blocking query's index and wait to query: with index 0
// the read answers at once.
func blocking(index uint64, wait time.Duration) url.Values {
	q := url.Values{}
	if index > 0 {
		q.Set("index", strconv.FormatUint(index, 10))
		if wait > 0 {
			q.Set("wait", wait.String())
		}
	}
	return q
}

// StatusAfter returns the job's status once its record has changed past
// index, or when wait runs out (the status unchanged), with the index to
// wait on next. With index 0 it answers at once.
func (s *Jobs) StatusAfter(ctx context.Context, id string, index uint64, wait time.Duration) (JobStatus, *QueryMeta, error) {
	var out JobStatusResponse
	resp, err := s.c.do(ctx, newRequest(http.MethodGet, pathOf(s.base, id, "status"), blocking(index, wait)), &out)
	if err != nil {
		return "", nil, err
	}
	return out.Status, queryMetaOf(resp), nil
}

// FollowHeader marks an answer to a follow request that streams the file
// as the job writes it. Without it the server sent the file as it is now
// (the job had ended, or the server does not follow).
const FollowHeader = "X-Genie-Follow"

// OutputStream is a job's file from an offset on; Live says it grows until
// the job ends.
type OutputStream struct {
	io.ReadCloser
	Live bool
}

// FollowOutput streams the file at path in the job's output from byte
// offset on, as the job writes it: the stream ends when the job has ended
// and everything it wrote was sent. Close it when done. A job that has not
// started is waited for.
func (s *Jobs) FollowOutput(ctx context.Context, id, path string, offset int64) (*OutputStream, error) {
	if offset < 0 {
		return nil, fmt.Errorf("negative offset %d", offset)
	}
	resp, err := s.c.send(ctx, outputRequest(s.base, id, path, offset, url.Values{"follow": {"true"}}))
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusPartialContent:
		out := &OutputStream{ReadCloser: resp.Body, Live: resp.Header.Get(FollowHeader) == "live"}
		if resp.StatusCode == http.StatusOK && offset > 0 && !out.Live {
			// The server ignored the range: skip to offset.
			if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil && err != io.EOF {
				resp.Body.Close()
				return nil, err
			}
		}
		return out, nil
	case http.StatusRequestedRangeNotSatisfiable:
		// Nothing past offset, and the server sent the file as it is.
		resp.Body.Close()
		return &OutputStream{ReadCloser: http.NoBody}, nil
	}
	return nil, statusError(resp)
}

// Read GETs path with query, as a blocking query when index is above 0,
// decodes the answer into out and returns what the read says about
// itself. It is the general form of the typed reads, for a caller that
// passes a search's filters on as it got them (the web UI does).
func (c *Client) Read(ctx context.Context, path string, query url.Values, index uint64, wait time.Duration, out any) (*QueryMeta, error) {
	q := url.Values{}
	for k, vs := range query {
		q[k] = vs
	}
	for k, vs := range blocking(index, wait) {
		q[k] = vs
	}
	resp, err := c.do(ctx, newRequest(http.MethodGet, path, q), out)
	if err != nil {
		return nil, err
	}
	return queryMetaOf(resp), nil
}
