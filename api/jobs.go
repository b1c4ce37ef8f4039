package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
)

// Jobs calls the /api/v3/jobs endpoints.
type Jobs struct {
	c    *Client
	base string
}

// Jobs returns the job endpoints.
func (c *Client) Jobs() *Jobs { return &Jobs{c: c, base: "/api/v3/jobs"} }

// Submit asks the cluster to run req and returns the job's id. Submitting
// again with the same client-chosen id and request returns the same id.
func (s *Jobs) Submit(ctx context.Context, req *JobRequest) (string, error) {
	return s.c.create(ctx, s.base, req)
}

// Attachment is a file sent with a job request; it lands in the job's
// working directory.
type Attachment struct {
	Name    string
	Content io.Reader
}

// SubmitWithAttachments submits req as a multipart request carrying files.
func (s *Jobs) SubmitWithAttachments(ctx context.Context, req *JobRequest, files []Attachment) (string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="request"`)
	h.Set("Content-Type", "application/json")
	part, err := mw.CreatePart(h)
	if err != nil {
		return "", err
	}
	if err := json.NewEncoder(part).Encode(req); err != nil {
		return "", fmt.Errorf("encode job request: %w", err)
	}
	for _, f := range files {
		part, err := mw.CreateFormFile("attachment", f.Name)
		if err != nil {
			return "", err
		}
		if _, err := io.Copy(part, f.Content); err != nil {
			return "", fmt.Errorf("attachment %s: %w", f.Name, err)
		}
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	r := newRequest(http.MethodPost, s.base, nil)
	r.body, r.contentType = buf.Bytes(), mw.FormDataContentType()
	resp, err := s.c.do(ctx, r, nil)
	if err != nil {
		return "", err
	}
	return idFromLocation(resp.Header.Get("Location"))
}

// Get returns the job with id.
func (s *Jobs) Get(ctx context.Context, id string) (*Job, error) {
	var out Job
	if err := s.c.get(ctx, pathOf(s.base, id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// List returns one page of the jobs q selects, newest first by default.
func (s *Jobs) List(ctx context.Context, q *JobQuery) ([]JobSearchResult, *PageMetadata, error) {
	return search(ctx, s.c, s.base, q.values(), func(e *PageEmbedded) []JobSearchResult { return e.Jobs })
}

// Status returns the job's current status.
func (s *Jobs) Status(ctx context.Context, id string) (JobStatus, error) {
	var out JobStatusResponse
	if err := s.c.get(ctx, pathOf(s.base, id, "status"), nil, &out); err != nil {
		return "", err
	}
	return out.Status, nil
}

// Request returns the request the job was submitted with.
func (s *Jobs) Request(ctx context.Context, id string) (*JobRequest, error) {
	var out JobRequest
	if err := s.c.get(ctx, pathOf(s.base, id, "request"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Execution returns where and how the job ran.
func (s *Jobs) Execution(ctx context.Context, id string) (*JobExecution, error) {
	var out JobExecution
	if err := s.c.get(ctx, pathOf(s.base, id, "execution"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Metadata returns what the server recorded about the job's submission.
func (s *Jobs) Metadata(ctx context.Context, id string) (*JobMetadata, error) {
	var out JobMetadata
	if err := s.c.get(ctx, pathOf(s.base, id, "metadata"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Cluster returns the cluster the job was resolved to.
func (s *Jobs) Cluster(ctx context.Context, id string) (*Cluster, error) {
	var out Cluster
	if err := s.c.get(ctx, pathOf(s.base, id, "cluster"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Command returns the command the job was resolved to.
func (s *Jobs) Command(ctx context.Context, id string) (*Command, error) {
	var out Command
	if err := s.c.get(ctx, pathOf(s.base, id, "command"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Applications returns the applications the job was resolved to, in order.
func (s *Jobs) Applications(ctx context.Context, id string) ([]Application, error) {
	return getList[Application](ctx, s.c, pathOf(s.base, id, "applications"), nil)
}

// Kill asks for the job to be killed. Killing a finished job does nothing.
func (s *Jobs) Kill(ctx context.Context, id string) error {
	_, err := s.c.write(ctx, http.MethodDelete, pathOf(s.base, id), nil, nil, nil)
	return err
}
