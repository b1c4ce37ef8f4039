package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
)

const tlsHelp = `
Usage: genie tls <subcommand> [options]

  Creates a CA and the certificates genie nodes and clients use for TLS.
  Nodes present server certificates to each other and to API clients;
  users may present client certificates.

    $ genie tls ca create
    $ genie tls cert create -server -region global
    $ genie tls cert create -client
`

const tlsCAHelp = `
Usage: genie tls ca <subcommand> [options]

  Creates the CA that signs a cluster's certificates.

    $ genie tls ca create
`

const tlsCertHelp = `
Usage: genie tls cert <subcommand> [options]

  Creates certificates signed by the cluster's CA.

    $ genie tls cert create -server
    $ genie tls cert create -client
`

// The CA's files, written by "tls ca create" and read by "tls cert create".
const (
	caCertFile = "genie-agent-ca.pem"
	caKeyFile  = "genie-agent-ca-key.pem"
)

// tlsFlagSet returns a flag set for the tls commands, which do not talk to
// a node and so have none of the global options.
func tlsFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// writeNewFile writes data to a file that must not exist yet, with mode.
func writeNewFile(path, data string, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// writeCertAndKey writes a certificate and its private key, both new files.
// If the key cannot be written the certificate is removed again.
func writeCertAndKey(certPath, certPEM, keyPath, keyPEM string) error {
	if err := writeNewFile(certPath, certPEM, 0o644); err != nil {
		return err
	}
	if err := writeNewFile(keyPath, keyPEM, 0o600); err != nil {
		os.Remove(certPath)
		return err
	}
	return nil
}

// exists tells whether path names anything, even a dangling link.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// refuseExisting returns an error naming the first of paths that exists.
func refuseExisting(paths ...string) error {
	for _, p := range paths {
		if exists(p) {
			return fmt.Errorf("%s already exists; move it away or run in another directory", p)
		}
	}
	return nil
}
