package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/genie-cluster/genie/api"
	"github.com/hashicorp/cli"
)

// Meta holds what every API command shares: the Ui, the -address and -json
// flags, and the output helpers.
type Meta struct {
	UI cli.Ui

	address    string
	token      string
	tls        api.TLSConfig
	jsonOutput bool
}

// globalOptions documents the flags FlagSet adds.
const globalOptions = `
Global options:

  -address=<addr>
    The genie node's API address. Defaults to $GENIE_ADDR, or
    http://127.0.0.1:8080.

  -token=<secret>
    The ACL token to send. Defaults to $GENIE_TOKEN.

  -ca-cert=<path>
    The CA certificate that signed the nodes' certificates, to verify an
    https address. Defaults to $GENIE_CACERT.

  -client-cert=<path>, -client-key=<path>
    A client certificate and key to present (optional: tokens authenticate
    users). Default to $GENIE_CLIENT_CERT and $GENIE_CLIENT_KEY.

  -tls-server-name=<name>
    The name the node's certificate must carry. Defaults to
    $GENIE_TLS_SERVER_NAME, or server.global.genie.

  -json
    Print the API's JSON instead of tables.`

// FlagSet returns a flag set with the global flags. Flags may be written
// with one dash or two.
func (m *Meta) FlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&m.address, "address", "", "")
	fs.StringVar(&m.token, "token", "", "")
	fs.StringVar(&m.tls.CACert, "ca-cert", "", "")
	fs.StringVar(&m.tls.ClientCert, "client-cert", "", "")
	fs.StringVar(&m.tls.ClientKey, "client-key", "", "")
	fs.StringVar(&m.tls.ServerName, "tls-server-name", "", "")
	fs.BoolVar(&m.jsonOutput, "json", false, "")
	return fs
}

// parse parses args into fs and checks the number of positional arguments
// is between min and max (max < 0: no limit). It returns the positional
// arguments and, when parsing fails, the exit code to return.
func (m *Meta) parse(fs *flag.FlagSet, args []string, min, max int, usage string) ([]string, int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, cli.RunResultHelp, false
		}
		m.UI.Error(fmt.Sprintf("Error parsing flags: %s", err))
		m.UI.Error("Usage: " + usage)
		return nil, 1, false
	}
	rest := fs.Args()
	if len(rest) < min || (max >= 0 && len(rest) > max) {
		m.UI.Error("Usage: " + usage)
		return nil, 1, false
	}
	return rest, 0, true
}

// hasToken reports whether requests carry an ACL token.
func (m *Meta) hasToken() bool { return m.token != "" || os.Getenv(api.TokenEnv) != "" }

// Client returns an API client for the -address flag or $GENIE_ADDR.
func (m *Meta) Client() (*api.Client, error) {
	cfg := api.DefaultConfig()
	if m.address != "" {
		cfg.Address = m.address
	}
	if m.token != "" {
		cfg.Token = m.token
	}
	if m.tls != (api.TLSConfig{}) {
		// Flags override the environment one by one.
		merged := api.TLSConfig{}
		if cfg.TLS != nil {
			merged = *cfg.TLS
		}
		for _, f := range []struct{ flag, dst *string }{
			{&m.tls.CACert, &merged.CACert}, {&m.tls.ClientCert, &merged.ClientCert},
			{&m.tls.ClientKey, &merged.ClientKey}, {&m.tls.ServerName, &merged.ServerName},
		} {
			if *f.flag != "" {
				*f.dst = *f.flag
			}
		}
		cfg.TLS = &merged
	}
	return api.NewClient(cfg)
}

// setup returns the client and a context cancelled by an interrupt.
func (m *Meta) setup() (*api.Client, context.Context, context.CancelFunc, error) {
	c, err := m.Client()
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return c, ctx, cancel, nil
}

// call runs fn with a client and a context cancelled by an interrupt. A
// failure is printed as "Error <doing>: ..." and returns exit code 1.
func (m *Meta) call(doing string, fn func(ctx context.Context, c *api.Client) error) int {
	client, ctx, cancel, err := m.setup()
	if err != nil {
		return m.fail("creating client", err)
	}
	defer cancel()
	if err := fn(ctx, client); err != nil {
		return m.fail(doing, err)
	}
	return 0
}

// fail prints err, the server's message and field when it came from the
// API, and returns exit code 1.
func (m *Meta) fail(doing string, err error) int {
	m.UI.Error(fmt.Sprintf("Error %s: %s", doing, err))
	return 1
}

// printJSON prints v as indented JSON.
func (m *Meta) printJSON(v any) int {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return m.fail("encoding JSON", err)
	}
	m.UI.Output(strings.TrimSuffix(buf.String(), "\n"))
	return 0
}

// printTable prints rows under header, aligned in columns.
func (m *Meta) printTable(header []string, rows [][]string) {
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	w.Flush()
	m.UI.Output(strings.TrimRight(buf.String(), "\n"))
}

// printFields prints "Key = value" lines with the = signs aligned.
func (m *Meta) printFields(fields [][2]string) {
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 0, 4, 1, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(w, "%s\t= %s\n", f[0], f[1])
	}
	w.Flush()
	m.UI.Output(strings.TrimRight(buf.String(), "\n"))
}

// rawWriter returns where raw bytes such as job output go: the Ui's own
// writer when it has one, else a writer passing each write to Output.
func rawWriter(ui cli.Ui) io.Writer {
	switch u := ui.(type) {
	case *cli.BasicUi:
		return u.Writer
	case *cli.MockUi:
		return u.OutputWriter
	case *cli.ConcurrentUi:
		return rawWriter(u.Ui)
	}
	return &cli.UiWriter{Ui: ui}
}
