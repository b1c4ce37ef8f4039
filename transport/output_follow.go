package transport

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// followPoll is how often a followed file is checked for growth while the
// job runs: a file system gives no portable signal of a write, and the
// reader is a person or a page, for whom a fifth of a second is live.
const followPoll = 200 * time.Millisecond

// followOutput streams a file of the job's output as the job writes it,
// from the start of a "bytes=N-" Range or from the beginning, until the
// job ends, then closes the stream. A job that has not started yet is
// waited for. It is served by the node that runs the job; any other node
// passes the stream through.
func (h *handler) followOutput(w http.ResponseWriter, r *http.Request, id string) {
	start, err := followStart(r.Header.Get("Range"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	if j, err := h.lookupJob(r, id); err != nil || j == nil {
		if err == nil {
			err = notFound("No job with id %s", id)
		}
		h.writeError(w, r, err)
		return
	}
	reqPath := r.PathValue("path")
	name, trailingSlash, ok := outputCleanPath(reqPath)
	if !ok || trailingSlash {
		writeOutputError(w, r, http.StatusNotFound, "No such file or directory: "+reqPath)
		return
	}
	var f fs.File
	for f == nil {
		j, changed := h.backend.State().WatchJob(id)
		if j == nil || j.ArchiveStatus == fsm.ArchiveNoFiles || j.Status.Terminal() {
			// Nothing more will be written: the file as it is.
			h.serveJobOutput(w, r, id)
			return
		}
		fsys, err := h.backend.JobOutput(ctx, j)
		var elsewhere *ElsewhereError
		switch {
		case errors.As(err, &elsewhere):
			h.proxy(w, r, elsewhere)
			return
		case fsm.CodeOf(err) == fsm.ErrCodeNotFound:
			// Not started: wait for the job to move.
			if !waitFollow(ctx, changed, 0) {
				return
			}
			continue
		case err != nil:
			h.writeError(w, r, err)
			return
		}
		f, err = openFollowed(fsys, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// The job has yet to create it.
			if !waitFollow(ctx, changed, followPoll) {
				return
			}
		case err != nil:
			writeOutputLookupError(w, r, reqPath, err)
			return
		}
	}
	defer f.Close()
	if err := skipTo(f, start); err != nil {
		h.writeError(w, r, err)
		return
	}

	hdr := w.Header()
	setOutputFileHeaders(hdr, name)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set(api.FollowHeader, "live")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		// Whether the job had ended is read before the file: once it has,
		// the copy below takes everything it wrote.
		j, changed := h.backend.State().WatchJob(id)
		ended := j == nil || j.Status.Terminal()
		if _, err := io.CopyBuffer(w, f, buf); err != nil {
			return
		}
		if rc.Flush() != nil || ended {
			return
		}
		if !waitFollow(ctx, changed, followPoll) {
			return
		}
	}
}

// openFollowed opens the regular file name in fsys, refusing links and
// anything else a lookup of a job's output refuses.
func openFollowed(fsys fs.FS, name string) (fs.File, error) {
	infos, err := outputLookup(fsys, name)
	if err != nil {
		return nil, err
	}
	checked := infos[len(infos)-1]
	if !checked.Mode().IsRegular() {
		return nil, errOutputSymlink
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	if opened, err := f.Stat(); err != nil || !outputSameFile(checked, opened) {
		f.Close()
		return nil, errOutputSymlink
	}
	return f, nil
}

// waitFollow waits for the job to change, for poll when it is not zero,
// or for the client to leave, and reports whether to go on.
func waitFollow(ctx context.Context, changed <-chan struct{}, poll time.Duration) bool {
	var tick <-chan time.Time
	if poll > 0 {
		t := time.NewTimer(poll)
		defer t.Stop()
		tick = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-changed:
	case <-tick:
	}
	return true
}

// followStart reads the first byte to send from a "bytes=N-" Range.
func followStart(rangeHeader string) (int64, error) {
	if rangeHeader == "" {
		return 0, nil
	}
	spec, ok := strings.CutPrefix(rangeHeader, "bytes=")
	if ok {
		spec, ok = strings.CutSuffix(spec, "-")
	}
	start, err := strconv.ParseInt(spec, 10, 64)
	if !ok || err != nil || start < 0 {
		return 0, badRequest("Range", "a followed file takes a Range of the form bytes=N-, not %q", rangeHeader)
	}
	return start, nil
}

// skipTo moves f to offset, reading past what it cannot seek over.
func skipTo(f fs.File, offset int64) error {
	if offset == 0 {
		return nil
	}
	if s, ok := f.(io.Seeker); ok {
		_, err := s.Seek(offset, io.SeekStart)
		return err
	}
	_, err := io.CopyN(io.Discard, f, offset)
	if err == io.EOF {
		return nil
	}
	return err
}
