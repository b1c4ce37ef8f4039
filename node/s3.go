package node

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/genie-cluster/genie/archive"
	"github.com/genie-cluster/genie/blob"
	"github.com/genie-cluster/genie/runner"
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
