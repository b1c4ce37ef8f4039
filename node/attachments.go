package node

import (
	"bytes"
	"context"
	"fmt"
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
	"github.com/genie-cluster/genie/transport"
)

// attachmentsDirName, in the data dir, holds attachments kept locally.
const attachmentsDirName = "attachments"

// prepareAttachmentsDir makes the local attachments the node's alone. An
// earlier version made the directory 0755 and its files 0644; with the
// root 0700 nothing below it can be reached but by the node.
func prepareAttachmentsDir(dataDir string) error {
	dir := filepath.Join(dataDir, attachmentsDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	return nil
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
	// The node's alone: the runner stages a job's own attachments with
	// the node's rights, and no job reads another's.
	dir := filepath.Join(n.config.DataDir, attachmentsDirName, jobID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, err
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		return "", false, err
	}
	return archive.Location(p), false, nil
}
