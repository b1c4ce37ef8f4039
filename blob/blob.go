// Package blob reads and writes objects in S3 and S3-compatible stores
// through aws-sdk-go-v2: the client set-up, s3:// URIs, and a node-local
// download cache for job dependencies.
package blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Config says how to reach S3. Credentials and, unless Region is set, the
// region come from the SDK's standard chain: the environment
// (AWS_ACCESS_KEY_ID, AWS_REGION, ...), the shared config and credentials
// files, then the instance's role.
type Config struct {
	// Endpoint is the URL of an S3-compatible store; empty means AWS.
	Endpoint string
	// PathStyle addresses buckets in the path (http://host/bucket/key)
	// rather than the host name, as most S3-compatible stores need.
	PathStyle bool
	// Region signs the requests; default the SDK chain's, else us-east-1.
	Region string
}

// NewClient builds an S3 client. It does not contact the store: wrong
// credentials or an unreachable endpoint show on the first request.
func NewClient(ctx context.Context, cfg Config) (*s3.Client, error) {
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: load the SDK configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	if cfg.Endpoint != "" {
		if u, err := url.Parse(cfg.Endpoint); err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("s3: endpoint %q is not a URL like http://host:port", cfg.Endpoint)
		}
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		// Ranged reads carry no whole-object checksum; that is expected.
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

// Location is an object's place: s3://Bucket/Key.
type Location struct {
	Bucket string
	Key    string
}

func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Key }

// ParseURI reads an s3://bucket/key URI. A key may be empty (a prefix).
func ParseURI(uri string) (Location, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return Location{}, err
	}
	if !strings.EqualFold(u.Scheme, "s3") {
		return Location{}, fmt.Errorf("%q is not an s3:// URI", uri)
	}
	if u.Host == "" {
		return Location{}, errors.New("no bucket in the URI")
	}
	return Location{Bucket: u.Host, Key: strings.TrimPrefix(u.Path, "/")}, nil
}
