package node

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/genie-cluster/genie/archive"

	"github.com/genie-cluster/genie/blob"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/runner"
	"github.com/genie-cluster/genie/transport"
)

// setupS3 lets the runner stage s3:// URIs, through the node's download
// cache. The client is built without contacting the store, so a node with
// no S3 at all starts as before; a job naming an s3:// URI the store refuses
// fails at INIT with the reason.
func (n *Node) setupS3(rc *runner.Config) error {
	client, err := blob.NewClient(context.Background(), n.config.S3)
	if err != nil {
		return err
	}
	cache, err := blob.NewCache(n.config.S3CacheDir, int64(n.config.S3CacheMB)<<20)
	if err != nil {
		return fmt.Errorf("s3 cache: %w", err)
	}
	n.s3 = client
	rc.Fetchers["s3"] = &blob.Fetcher{Client: client, Cache: cache, OnFetch: n.metrics.s3Fetched}
	return nil
}

// openArchive opens an archived job directory wherever its location says
// it is: any node reads any archive, whatever this node archives to.
func (n *Node) openArchive(ctx context.Context, location string) (fs.FS, error) {
	if strings.HasPrefix(location, "s3://") {
		return archive.OpenS3(ctx, n.s3, location)
	}
	return archive.OpenLocal(location)
}

// StoreAttachment keeps a file sent with job jobID: in S3 beside the
// archives when the node archives to S3 (every node can stage it from
// there), else in the data dir, and then the job runs on this node.
func (n *Node) StoreAttachment(ctx context.Context, jobID, name string, content []byte) (string, bool, error) {
	if err := archive.ValidateID(jobID); err != nil {
		return "", false, fsm.Errorf(fsm.ErrCodeInvalid, "job id %q cannot hold attachments: %v", jobID, err)
	}
	if n.config.ArchiveS3 != "" {
		base, _ := blob.ParseURI(n.config.ArchiveS3)
		loc := blob.Location{Bucket: base.Bucket, Key: path.Join(strings.Trim(base.Key, "/"), "attachments", jobID, name)}
		_, err := n.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &loc.Bucket, Key: &loc.Key,
			Body: bytes.NewReader(content), ContentLength: aws.Int64(int64(len(content)))})
		if err != nil {
			return "", false, &transport.UnavailableError{Reason: fmt.Sprintf("cannot store attachment %s at %s: %v", name, loc, blob.Describe(err)), RetryAfter: 5 * time.Second}
		}
		return loc.String(), true, nil
	}
	dir := filepath.Join(n.config.DataDir, "attachments", jobID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, err
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		return "", false, err
	}
	return archive.Location(p), false, nil
}
