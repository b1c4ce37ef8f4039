// Package s3test starts a real S3-protocol server (versitygw) on loopback
// for tests: it checks request signatures as AWS does, so wrong
// credentials really fail.
package s3test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/genie-cluster/genie/blob"
)

// Version is the versitygw release the tests run against; `make tools`
// installs it into .tools/.
const Version = "v1.8.0"

// Server is a running versitygw.
type Server struct {
	Endpoint  string // http://127.0.0.1:port
	AccessKey string
	SecretKey string
	Dir       string // where it keeps buckets
}

// binary finds versitygw: $GENIE_VERSITYGW, the repository's .tools/, or
// the PATH. A missing one fails the test: CI installs it, so no test that
// needs S3 is ever skipped.
func binary(t testing.TB) string {
	if p := os.Getenv("GENIE_VERSITYGW"); p != "" {
		return p
	}
	if dir, err := os.Getwd(); err == nil {
		for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				p := filepath.Join(dir, ".tools", "versitygw")
				if _, err := os.Stat(p); err == nil {
					return p
				}
				break
			}
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	t.Fatalf("versitygw not found: run `make tools` (go install github.com/versity/versitygw/cmd/versitygw@%s)", Version)
	return ""
}

// Start runs versitygw on a free loopback port over a temporary directory
// until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binary(t)
	s := &Server{AccessKey: "genie-test-access", SecretKey: "genie-test-secret-key", Dir: t.TempDir()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s.Endpoint = "http://" + addr
	cmd := exec.Command(bin, "--port", addr, "--access", s.AccessKey, "--secret", s.SecretKey, "posix", s.Dir)
	log, err := os.Create(filepath.Join(t.TempDir(), "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw not listening on %s after 20s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// Env sets the SDK's credentials in the environment for the rest of the
// test, as an operator would.
func (s *Server) Env(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", s.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s.SecretKey)
	t.Setenv("AWS_REGION", "us-east-1")
	// Keep a developer's own AWS files out of the tests.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

// Config is the blob configuration that reaches this server.
func (s *Server) Config() blob.Config {
	return blob.Config{Endpoint: s.Endpoint, PathStyle: true, Region: "us-east-1"}
}

// Client returns a client with the server's credentials (Env must have
// run).
func (s *Server) Client(t testing.TB) *s3.Client {
	t.Helper()
	c, err := blob.NewClient(context.Background(), s.Config())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Put creates bucket if needed and stores body at key.
func (s *Server) Put(t testing.TB, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); err != nil {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
			t.Fatalf("create bucket %s: %v", bucket, err)
		}
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}
