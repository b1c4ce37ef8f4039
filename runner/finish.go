package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/fsm"
)

// msgNoExitCode is the status message of a job whose leader exited without
// recording an exit code (it was killed by a signal nobody here sent).
const msgNoExitCode = "Job process ended without recording an exit code."

// maxCachedList bounds the cached-dependencies list read back.
const maxCachedList = 1 << 20

// exitOutcome turns how the leader exited into the job's end.
func (r *Runner) exitOutcome(j *job, exit exitStatus) outcome {
	now := r.conf.Now()
	if !exit.known {
		code, _, err := readExitCode(j.dir)
		if err != nil {
			j.log.Warn("no exit code recorded", "error", err)
			return outcome{status: fsm.JobFailed, msg: msgNoExitCode, exitCode: intPtr(fsm.ExitCodeLost), finished: now}
		}
		exit = exitStatus{known: true, code: code}
	}
	return codeOutcome(exit, now)
}

func codeOutcome(exit exitStatus, finished time.Time) outcome {
	switch {
	case exit.code == 0:
		return outcome{status: fsm.JobSucceeded, msg: fsm.MsgSucceeded, exitCode: intPtr(0), finished: finished}
	case exit.signal != "":
		return outcome{status: fsm.JobFailed, msg: fmt.Sprintf("Job failed: its process was killed by %s.", exit.signal),
			exitCode: intPtr(exit.code), finished: finished}
	}
	return outcome{status: fsm.JobFailed, msg: fmt.Sprintf("Job failed with exit code %d.", exit.code),
		exitCode: intPtr(exit.code), finished: finished}
}

// readExitCode reads the code the run script recorded and when it did. The
// file is the job's: it is read without leaving the job directory, only if
// regular, and only as much as a code takes.
func readExitCode(dir string) (int, time.Time, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, time.Time{}, err
	}
	defer root.Close()
	f, err := root.OpenFile(exitCodeFile, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, time.Time{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, time.Time{}, err
	}
	if !info.Mode().IsRegular() {
		return 0, time.Time{}, fmt.Errorf("%s is not a regular file", exitCodeFile)
	}
	b, err := io.ReadAll(io.LimitReader(f, 32))
	if err != nil {
		return 0, time.Time{}, err
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("%s: %w", exitCodeFile, err)
	}
	return code, info.ModTime(), nil
}

// archiving reports whether the job's directory goes to the archive.
func (r *Runner) archiving(j *job) bool {
	return r.conf.Archive != nil && !j.spec.Job.Request.DisableLogArchival
}

// archive puts the finished job's directory into the archive and records
// where it went. With archiving off the directory stays where it is.
func (r *Runner) archive(j *job) {
	req := fsm.JobArchiveRequest{ID: j.id}
	if j.dir == "" {
		req.ArchiveStatus = fsm.ArchiveNoFiles
		req.RecordArchived = r.archiveRecordOnly(j, req)
		req.Time = r.nowMillis()
		r.recordArchive(j, req)
		return
	}
	// The job's uid stays held while a directory of its is left here.
	switch _, err := os.Lstat(j.dir); {
	case err == nil:
		if err := r.reclaim(j); err != nil {
			j.log.Error("cannot take the job directory back from the job", "error", err)
			if r.archiving(j) {
				req.ArchiveStatus = fsm.ArchiveFailed
				req.ArchiveMsg = "cannot take the job directory back from the job: " + err.Error()
				req.Time = r.nowMillis()
				r.recordArchive(j, req)
				return
			}
		} else {
			r.releaseUID(j)
		}
	case errors.Is(err, fs.ErrNotExist):
		r.releaseUID(j)
	}
	// Sizes are taken before the directory moves.
	if info, err := os.Stat(filepath.Join(j.dir, stdoutFile)); err == nil {
		req.StdoutSize = info.Size()
	}
	if info, err := os.Stat(filepath.Join(j.dir, stderrFile)); err == nil {
		req.StderrSize = info.Size()
	}
	_, statErr := os.Stat(j.dir)
	switch {
	case errors.Is(statErr, fs.ErrNotExist):
		req.ArchiveStatus = fsm.ArchiveNoFiles
		req.RecordArchived = r.archiveRecordOnly(j, req)
	case !r.archiving(j):
		req.ArchiveStatus = fsm.ArchiveDisabled
		req.RecordArchived = r.archiveRecordOnly(j, req)
	default:
		dropCached(j)
		withRecord := req
		withRecord.ArchiveStatus = fsm.ArchiveArchived
		recorded := r.writeRecord(j, withRecord, j.dir)
		var loc string
		err := r.retry(j, "archive", func() error {
			var err error
			loc, err = r.conf.Archive.Put(r.ctx, j.id, j.dir)
			return err
		})
		switch {
		case err == nil:
			req.ArchiveStatus, req.ArchiveLocation = fsm.ArchiveArchived, loc
			req.RecordArchived = recorded
		case r.isClosed():
			return
		default:
			j.log.Error("archiving failed", "error", err)
			req.ArchiveStatus, req.ArchiveMsg = fsm.ArchiveFailed, err.Error()
		}
	}
	req.Time = r.nowMillis()
	r.recordArchive(j, req)
}

// writeRecord writes the job's record, as it will stand once req is
// recorded, into dir as archive.RecordPath, and reports whether it did. A
// job without its record archived is still retired: the leader then
// archives the record it has.
func (r *Runner) writeRecord(j *job, req fsm.JobArchiveRequest, dir string) bool {
	ctx, cancel := context.WithTimeout(r.ctx, r.conf.ReportTimeout)
	defer cancel()
	rec, err := r.rep.Record(ctx, j.id)
	if err != nil {
		j.log.Warn("cannot read the job's record to archive it", "error", err)
		return false
	}
	c := *rec
	c.ArchiveStatus, c.ArchiveMsg, c.ArchiveLocation = req.ArchiveStatus, "", ""
	c.StdoutSize, c.StderrSize = req.StdoutSize, req.StderrSize
	c.RecordArchived = true
	b, err := fsm.EncodeJobRecord(&c)
	if err == nil {
		err = archive.WriteRecord(dir, b)
	}
	if err != nil {
		j.log.Warn("cannot write the job's record", "error", err)
		return false
	}
	return true
}

// archiveRecordOnly archives the record of a job whose directory is not
// archived (archiving is off for it, or it has none), so its record
// outlives it in the state all the same.
func (r *Runner) archiveRecordOnly(j *job, req fsm.JobArchiveRequest) bool {
	if r.conf.Archive == nil || archive.ValidateID(j.id) != nil {
		return false
	}
	dir, err := os.MkdirTemp(r.jobsDir, archive.RecordTempPrefix)
	if err != nil {
		j.log.Warn("cannot archive the job's record", "error", err)
		return false
	}
	defer os.RemoveAll(dir)
	if !r.writeRecord(j, req, dir) {
		return false
	}
	err = r.retry(j, "archive record", func() error {
		_, err := r.conf.Archive.Put(r.ctx, j.id, dir)
		return err
	})
	if err != nil {
		j.log.Warn("cannot archive the job's record", "error", err)
		return false
	}
	return true
}

func (r *Runner) recordArchive(j *job, req fsm.JobArchiveRequest) {
	err := r.reportUntilDone(j, "archived", func(ctx context.Context) error { return r.rep.Archived(ctx, req) })
	if err != nil && !r.isClosed() {
		j.log.Error("recording the archive failed", "status", req.ArchiveStatus, "error", err)
	}
}

// dropCached removes from a finished job's directory the staged files its
// cached-dependencies list names, so the archive holds the job's own output
// and the list, not copies of objects the store already has.
//
// The list is in the job's reach, so nothing it names is looked for outside
// the directory.
func dropCached(j *job) {
	root, err := os.OpenRoot(j.dir)
	if err != nil {
		return
	}
	defer root.Close()
	f, err := root.Open(cachedListFile)
	if err != nil {
		return
	}
	b, err := io.ReadAll(io.LimitReader(f, maxCachedList))
	f.Close()
	if err != nil {
		return
	}
	for _, rel := range strings.Split(string(b), "\n") {
		if rel == "" || !filepath.IsLocal(rel) {
			continue
		}
		if err := root.Remove(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
			j.log.Warn("cannot leave a cached dependency out of the archive", "file", rel, "error", err)
		}
	}
}
