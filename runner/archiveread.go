package runner

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/genie-cluster/genie/blob"
)

// errArchiveRead refuses a job's request naming something in the archive.
var errArchiveRead = errors.New("jobs may not read genie's archive")

// archiveArea is where the node archives on S3: every job's output and
// attachments, which the s3 fetcher could read with the node's credentials.
type archiveArea struct {
	bucket string
	prefix string // no slash at either end; "" is the whole bucket
}

func newArchiveArea(uri string) (*archiveArea, error) {
	if uri == "" {
		return nil, nil
	}
	loc, err := blob.ParseURI(uri)
	if err != nil {
		return nil, fmt.Errorf("runner: ArchiveS3: %w", err)
	}
	return &archiveArea{bucket: loc.Bucket, prefix: strings.Trim(loc.Key, "/")}, nil
}

// refuseArchiveReads fails staging when the job's request names a file in
// the archive that is not one of its own attachments. Operators' files
// (cluster, command, applications) may be anywhere.
func (r *Runner) refuseArchiveReads(spec Spec) error {
	if r.archiveArea == nil {
		return nil
	}
	req := &spec.Job.Request
	uris := append(slices.Clip(req.Configs), req.Dependencies...)
	if req.SetupFile != "" {
		uris = append(uris, req.SetupFile)
	}
	for _, uri := range uris {
		if r.archiveArea.forbids(spec.Job.ID, uri) {
			return fmt.Errorf("stage %s: %w", uri, errArchiveRead)
		}
	}
	return nil
}

// forbids reports whether job jobID may not stage uri. The key is judged
// as written and as a store that cleans paths would read it ("a/../b" is
// "b" to some).
func (a *archiveArea) forbids(jobID, uri string) bool {
	if scheme, err := uriScheme(uri); err != nil || scheme != "s3" {
		return false
	}
	// The fetcher parses the URI the same way; one it cannot parse is
	// fetched from nowhere.
	loc, err := blob.ParseURI(uri)
	if err != nil || !strings.EqualFold(loc.Bucket, a.bucket) {
		return false
	}
	clean := strings.TrimPrefix(path.Clean("/"+loc.Key), "/")
	if !a.holds(loc.Key) && !a.holds(clean) {
		return false
	}
	own := path.Join(a.prefix, "attachments", jobID) + "/"
	return loc.Key != clean || !strings.HasPrefix(loc.Key, own) || len(loc.Key) == len(own)
}

// holds reports whether key lies under the archive prefix.
func (a *archiveArea) holds(key string) bool {
	return a.prefix == "" || key == a.prefix || strings.HasPrefix(key, a.prefix+"/")
}
