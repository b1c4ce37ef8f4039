package archive

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// RecordPath is where an archived job directory keeps the job's record.
const RecordPath = "genie/job.json"

// MaxRecordBytes bounds a record read back, here or from a peer: a record
// is a few KB, and one that is not must not take the node's memory.
const MaxRecordBytes = 16 << 20

// ReadRecord returns where job jobID's archive is and the record in it.
// A job with no archive, or an archive without a record, is an error
// wrapping fs.ErrNotExist.
func ReadRecord(ctx context.Context, st Store, jobID string) (location string, record []byte, err error) {
	if err := ValidateID(jobID); err != nil {
		return "", nil, err
	}
	loc, err := st.Locate(ctx, jobID)
	if err != nil {
		return "", nil, err
	}
	fsys, err := st.Open(ctx, loc)
	if err != nil {
		return "", nil, err
	}
	f, err := fsys.Open(RecordPath)
	if err != nil {
		return "", nil, fmt.Errorf("archive %s: %w", loc, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", nil, fmt.Errorf("archive %s: %w", loc, err)
	}
	if info.Size() > MaxRecordBytes {
		return "", nil, fmt.Errorf("archive %s: %s is %d bytes, more than a record takes", loc, RecordPath, info.Size())
	}
	b, err := fs.ReadFile(fsys, RecordPath)
	if err != nil {
		return "", nil, fmt.Errorf("archive %s: %w", loc, err)
	}
	return loc, b, nil
}

// RecordTempPrefix names the directories a record-only archive is built
// in. They live seconds; a node that dies while building one leaves it,
// and the jobs directory's sweep removes it.
const RecordTempPrefix = ".record-"

// PutRecord archives a job that has no directory to archive (its output
// was not archived, or it never ran) as a directory holding only its
// record. tmp is a directory on the node to build it in. It must not be
// used for a job whose directory is archived: Put replaces what is there.
func PutRecord(ctx context.Context, st Store, jobID string, record []byte, tmp string) (string, error) {
	if err := ValidateID(jobID); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(tmp, RecordTempPrefix)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := WriteRecord(dir, record); err != nil {
		return "", err
	}
	return st.Put(ctx, jobID, dir)
}

// WriteRecord writes record into the job directory dir as RecordPath,
// replacing whatever the job left under that name (a link included)
// rather than writing through it.
func WriteRecord(dir string, record []byte) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.MkdirAll(filepath.Dir(RecordPath), 0o755); err != nil {
		return fmt.Errorf("write job record: %w", err)
	}
	if err := root.RemoveAll(RecordPath); err != nil {
		return fmt.Errorf("write job record: %w", err)
	}
	f, err := root.OpenFile(RecordPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write job record: %w", err)
	}
	if _, err := f.Write(record); err != nil {
		f.Close()
		return fmt.Errorf("write job record: %w", err)
	}
	return f.Close()
}
