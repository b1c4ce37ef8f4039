package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/genie-cluster/genie/blob"
)

// S3 is a Store that keeps each job directory as objects under
// s3://bucket/prefix/<job id>/, one per file, with the manifest written
// last: an archive is whole once its manifest is there, and listings come
// from the manifest, not from listing the bucket.
type S3 struct {
	client *s3.Client
	base   blob.Location
	// Parallelism bounds the uploads of one job at once.
	Parallelism int
}

var _ Store = (*S3)(nil)

// NewS3 returns a store archiving under base (s3://bucket/prefix).
func NewS3(client *s3.Client, base string) (*S3, error) {
	loc, err := blob.ParseURI(base)
	if err != nil {
		return nil, fmt.Errorf("s3 archive %s: %w", base, err)
	}
	loc.Key = strings.Trim(loc.Key, "/")
	return &S3{client: client, base: loc, Parallelism: 8}, nil
}

// Location is where job id's archive goes.
func (s *S3) Location(jobID string) string {
	return blob.Location{Bucket: s.base.Bucket, Key: path.Join(s.base.Key, jobID) + "/"}.String()
}

// Put uploads dir with its manifest, then removes dir. A retry uploads
// again, replacing what an interrupted Put left; once the source is gone
// (an earlier Put finished but its caller did not hear), the archive there
// is returned if its manifest is.
func (s *S3) Put(ctx context.Context, jobID, dir string) (string, error) {
	if err := ValidateID(jobID); err != nil {
		return "", err
	}
	loc := s.Location(jobID)
	prefix := strings.TrimPrefix(loc, "s3://"+s.base.Bucket+"/")
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if _, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.base.Bucket, Key: aws.String(prefix + ManifestPath)}); err != nil {
			return "", fmt.Errorf("archive %s: the job directory is gone and %s has no manifest", jobID, loc)
		}
		return loc, nil
	}
	if err := writeManifest(dir); err != nil {
		return "", fmt.Errorf("archive %s: %w", jobID, err)
	}
	m, err := ReadManifest(os.DirFS(dir))
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", jobID, err)
	}
	if err := s.uploadAll(ctx, dir, prefix, m); err != nil {
		return "", fmt.Errorf("archive %s to %s: %w", jobID, loc, err)
	}
	if err := s.upload(ctx, dir, prefix, ManifestPath); err != nil {
		return "", fmt.Errorf("archive %s to %s: %w", jobID, loc, err)
	}
	// The archive is whole; a source that will not go away is litter.
	os.RemoveAll(dir)
	return loc, nil
}

// uploadAll uploads every file of the manifest, Parallelism at a time, and
// returns the first failure after cancelling the rest.
func (s *S3) uploadAll(ctx context.Context, dir, prefix string, m *Manifest) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, s.Parallelism))
	for _, e := range m.Entries {
		if !e.Directory {
			g.Go(func() error { return s.upload(ctx, dir, prefix, e.Path) })
		}
	}
	return g.Wait()
}

func (s *S3) upload(ctx context.Context, dir, prefix, rel string) error {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.base.Bucket, Key: aws.String(prefix + rel), Body: f,
		ContentLength: aws.Int64(info.Size()), ContentType: aws.String(MimeType(rel)),
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", rel, blob.Describe(err))
	}
	return nil
}

// Open returns the archive at an s3:// location Put returned, served from
// its manifest and ranged reads of its objects.
func (s *S3) Open(ctx context.Context, location string) (fs.FS, error) {
	return OpenS3(ctx, s.client, location)
}

// OpenS3 opens an archive at an s3:// location with client.
func OpenS3(ctx context.Context, client *s3.Client, location string) (fs.FS, error) {
	loc, err := blob.ParseURI(location)
	if err != nil {
		return nil, fmt.Errorf("open archive %s: %w", location, err)
	}
	prefix := strings.TrimSuffix(loc.Key, "/") + "/"
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &loc.Bucket, Key: aws.String(prefix + ManifestPath)})
	if err != nil {
		if blob.IsNotFound(err) {
			return nil, fmt.Errorf("open archive %s: %w", location, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("open archive %s: %w", location, blob.Describe(err))
	}
	defer out.Body.Close()
	var m Manifest
	if err := json.NewDecoder(out.Body).Decode(&m); err != nil {
		return nil, fmt.Errorf("open archive %s: decode manifest: %w", location, err)
	}
	// The manifest does not list itself; the archive holds it all the same.
	m.Entries = append(m.Entries, ManifestEntry{Path: ManifestPath, Size: aws.ToInt64(out.ContentLength),
		Modified: aws.ToTime(out.LastModified).UnixMilli(), MimeType: MimeType(ManifestPath)})
	return newS3FS(client, loc.Bucket, prefix, &m), nil
}

// Locate returns where job jobID's archive is, once its manifest is there
// (an archive is whole only then).
func (s *S3) Locate(ctx context.Context, jobID string) (string, error) {
	if err := ValidateID(jobID); err != nil {
		return "", err
	}
	loc := s.Location(jobID)
	prefix := strings.TrimPrefix(loc, "s3://"+s.base.Bucket+"/")
	if _, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.base.Bucket, Key: aws.String(prefix + ManifestPath)}); err != nil {
		if blob.IsNotFound(err) {
			return "", fmt.Errorf("no archive of job %s at %s: %w", jobID, loc, fs.ErrNotExist)
		}
		return "", fmt.Errorf("locate archive of job %s: %w", jobID, blob.Describe(err))
	}
	return loc, nil
}
