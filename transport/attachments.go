package transport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/genie-cluster/genie/api"
)

// Attachments keeps the files a client sends with a job, for the job's
// runner to stage into its working directory.
type Attachments interface {
	// StoreAttachment keeps file name of job jobID and returns the URI the
	// runner stages it from, and whether every node can read that URI (a
	// job whose attachments only this node holds must run here).
	StoreAttachment(ctx context.Context, jobID, name string, content []byte) (uri string, shared bool, err error)
}

// attachment is one file of a multipart submission.
type attachment struct {
	name    string
	content []byte
}

// readMultipartJob reads Genie's multipart submission: a "request" part
// holding the job request as JSON and "attachment" parts holding files. The
// whole body is bounded by the handler's request limit.
func readMultipartJob(r *http.Request, boundary string) (*api.JobRequest, []attachment, error) {
	if boundary == "" {
		return nil, nil, badRequest("", "multipart request without a boundary")
	}
	mr := multipart.NewReader(r.Body, boundary)
	var dto *api.JobRequest
	var files []attachment
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, readError(err, "malformed multipart body: %v")
		}
		body, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, readError(err, "cannot read multipart body: %v")
		}
		switch part.FormName() {
		case "request":
			if dto != nil {
				return nil, nil, badRequest("request", "more than one request part")
			}
			dto = new(api.JobRequest)
			if err := decodeBytes(body, dto); err != nil {
				return nil, nil, err
			}
		case "attachment":
			name := part.FileName()
			if err := validAttachmentName(name); err != nil {
				return nil, nil, err
			}
			if seen[name] {
				return nil, nil, badRequest("attachment", "two attachments are named %q", name)
			}
			seen[name] = true
			files = append(files, attachment{name: name, content: body})
		default:
			return nil, nil, badRequest(part.FormName(), "unknown part %q: want request and attachment parts", part.FormName())
		}
	}
	if dto == nil {
		return nil, nil, badRequest("request", "the multipart body has no request part")
	}
	return dto, files, nil
}

// validAttachmentName admits a plain file name: attachments land in the
// job directory's root under their own names.
func validAttachmentName(name string) error {
	switch {
	case name == "":
		return badRequest("attachment", "an attachment has no file name")
	case name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00"):
		return badRequest("attachment", "attachment name %q is not a plain file name", name)
	case len(name) > 255:
		return badRequest("attachment", "attachment name is longer than 255 bytes")
	}
	return nil
}

func readError(err error, format string) error {
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return err
	}
	return badRequest("", format, err)
}

// attachmentsHash identifies a job's attachments by name and content, so a
// resubmission under the same id with other files is a different job.
func attachmentsHash(files []attachment) string {
	h := sha256.New()
	for _, f := range files {
		sum := sha256.Sum256(f.content)
		h.Write([]byte(f.name))
		h.Write([]byte{0})
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// storeAttachments keeps the files of a new job and lists them among its
// dependencies. A job that exists already (a retry) keeps what it has: its
// request hash then decides between 202 and 409.
func (h *handler) storeAttachments(ctx context.Context, sub *Submission, files []attachment) error {
	sub.Attachments = len(files)
	for _, f := range files {
		sub.AttachmentBytes += int64(len(f.content))
	}
	store, ok := h.backend.(Attachments)
	if !ok {
		return &RequestError{Status: http.StatusUnsupportedMediaType, Message: "this server keeps no attachments: send application/json"}
	}
	if h.backend.State().Job(sub.Request.ID) != nil {
		return nil
	}
	for _, f := range files {
		uri, shared, err := store.StoreAttachment(ctx, sub.Request.ID, f.name, f.content)
		if err != nil {
			return err
		}
		sub.Request.Dependencies = append(sub.Request.Dependencies, uri)
		if !shared {
			sub.Pinned = true
		}
	}
	return nil
}
