// Package archive keeps finished job directories so their output outlives the working directory and the node.
package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Store archives job directories and opens archived ones.
type Store interface {
	// Put archives the job directory dir of job jobID and returns the archive location URI.
	// The source dir may be consumed (moved).
	Put(ctx context.Context, jobID, dir string) (location string, err error)
	// Open returns a read-only file system rooted at an archived job directory, given the location Put returned.
	Open(ctx context.Context, location string) (fs.FS, error)
	// Locate returns the location of job jobID's archive, an error
	// wrapping fs.ErrNotExist when there is none.
	Locate(ctx context.Context, jobID string) (string, error)
}

// ManifestPath is where an archived job directory lists its own contents.
const ManifestPath = "genie/manifest.json"

// ErrInvalidID is returned for a job id that cannot name a single directory.
var ErrInvalidID = errors.New("invalid job id")

// ValidateID reports whether id is safe to use as one path element: a job id
// reaches the file system as a directory name, so it must not climb out of
// the directory that holds it.
func ValidateID(id string) error {
	switch {
	case id == "", id == ".":
		return fmt.Errorf("%w %q: empty", ErrInvalidID, id)
	case strings.ContainsAny(id, "/\\\x00"):
		return fmt.Errorf("%w %q: contains a path separator", ErrInvalidID, id)
	case strings.Contains(id, ".."):
		return fmt.Errorf("%w %q: contains \"..\"", ErrInvalidID, id)
	}
	return nil
}
