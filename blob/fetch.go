package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Fetcher stages s3:// URIs into job directories, through the cache when
// it has one.
type Fetcher struct {
	Client *s3.Client
	// Cache, when set, keeps downloads for the next job that needs the
	// same object version.
	Cache *Cache
	// OnFetch, when set, is told of every fetch and whether the cache had
	// the object (for metrics).
	OnFetch func(hit bool)
}

// KeepsCopies reports whether fetched files stay in the node's cache, so
// the archive can leave them out.
func (f *Fetcher) KeepsCopies() bool { return f.Cache != nil }

// Fetch writes the object named by uri at dst. The object's ETag, read
// first, names the version the cache keeps; the download insists on it, so
// an object replaced meanwhile is not cached under the old version's name.
func (f *Fetcher) Fetch(ctx context.Context, uri, dst string) error {
	loc, err := ParseURI(uri)
	if err != nil {
		return err
	}
	if loc.Key == "" || loc.Key[len(loc.Key)-1] == '/' {
		return errors.New("the URI names no object")
	}
	head, err := f.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &loc.Bucket, Key: &loc.Key})
	if err != nil {
		return Describe(err)
	}
	etag := aws.ToString(head.ETag)
	size := aws.ToInt64(head.ContentLength)
	download := func(ctx context.Context, w io.Writer) error {
		in := &s3.GetObjectInput{Bucket: &loc.Bucket, Key: &loc.Key}
		if etag != "" {
			in.IfMatch = aws.String(etag)
		}
		out, err := f.Client.GetObject(ctx, in)
		if err != nil {
			return Describe(err)
		}
		defer out.Body.Close()
		n, err := io.Copy(w, out.Body)
		if err == nil && size > 0 && n != size {
			err = fmt.Errorf("got %d of %d bytes", n, size)
		}
		return err
	}
	if f.Cache == nil || etag == "" || !f.Cache.Fits(size) {
		if f.OnFetch != nil {
			f.OnFetch(false)
		}
		return writeNew(ctx, dst, download)
	}
	hit, err := f.Cache.Place(ctx, CacheKey(loc, etag), dst, download)
	if f.OnFetch != nil && err == nil {
		f.OnFetch(hit)
	}
	return err
}

// writeNew creates dst and fills it, removing it when that fails.
func writeNew(ctx context.Context, dst string, fill func(ctx context.Context, w io.Writer) error) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	err = fill(ctx, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
	}
	return err
}

// Describe shortens the SDK's errors to what an operator acts on: the
// store's error code and message, or the transport failure.
func Describe(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		msg := api.ErrorMessage()
		if msg == "" || msg == api.ErrorCode() {
			return fmt.Errorf("S3 answered %s", api.ErrorCode())
		}
		return fmt.Errorf("S3 answered %s: %s", api.ErrorCode(), msg)
	}
	return err
}

// IsNotFound reports whether the store said the object or bucket does not
// exist.
func IsNotFound(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "NotFound", "NoSuchKey", "NoSuchBucket":
		return true
	}
	return false
}
