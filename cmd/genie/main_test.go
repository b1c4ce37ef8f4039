package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/cli"
)

// result is what one CLI run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in-process with args, against f when f is not nil.
func run(t *testing.T, f *fakeGenie, args ...string) result {
	t.Helper()
	if f != nil {
		t.Setenv("GENIE_ADDR", f.srv.URL)
	}
	var out, errOut bytes.Buffer
	code := Run(args, &cli.BasicUi{Writer: &out, ErrorWriter: &errOut})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// want fails the test unless the run exited with code.
func (r result) want(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

// lines returns stdout's lines.
func (r result) lines() []string {
	return strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
}

// decodeBody decodes a request body the fake server saw.
func decodeBody(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
}

// fields splits a table row on runs of spaces.
func fields(line string) []string {
	var out []string
	for _, f := range strings.Split(line, "  ") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// column returns where header's column starts in a table's header line.
func column(t *testing.T, headerLine, header string) int {
	t.Helper()
	i := strings.Index(headerLine, header)
	if i < 0 {
		t.Fatalf("no %s column in %q", header, headerLine)
	}
	return i
}

func TestHelpListsCommands(t *testing.T) {
	r := run(t, nil, "--help").want(t, 0)
	for _, c := range []string{"jobs", "clusters", "commands", "applications", "members", "operator"} {
		if !strings.Contains(r.stdout, c) {
			t.Errorf("help lacks %s:\n%s", c, r.stdout)
		}
	}
}

func TestParentCommandShowsSubcommands(t *testing.T) {
	r := run(t, nil, "jobs")
	if r.code != 1 || !strings.Contains(r.stderr, "submit") || !strings.Contains(r.stderr, "Wait for a job to finish") {
		t.Fatalf("code %d\nstderr:\n%s", r.code, r.stderr)
	}
}

func TestUnknownFlagIsAnError(t *testing.T) {
	r := run(t, nil, "jobs", "list", "-bogus").want(t, 1)
	if !strings.Contains(r.stderr, "-bogus") || !strings.Contains(r.stderr, "Usage: genie jobs list") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
}

func TestMissingArgumentShowsUsage(t *testing.T) {
	r := run(t, nil, "jobs", "status").want(t, 1)
	if !strings.Contains(r.stderr, "Usage: genie jobs status [options] ID") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
}

func TestAddressFlagWinsOverEnvironment(t *testing.T) {
	f := newFakeGenie(t)
	t.Setenv("GENIE_ADDR", "http://127.0.0.1:1")
	var out, errOut bytes.Buffer
	ui := &cli.BasicUi{Writer: &out, ErrorWriter: &errOut}
	if code := Run([]string{"members", "--address", f.srv.URL}, ui); code != 0 {
		t.Fatalf("code %d: %s", code, errOut.String())
	}
	if code := Run([]string{"members"}, ui); code != 1 || !strings.Contains(errOut.String(), "127.0.0.1:1") {
		t.Fatalf("code %d: %s", code, errOut.String())
	}
}

func TestUnreachableServerIsAnError(t *testing.T) {
	r := run(t, nil, "jobs", "list", "-address", "http://127.0.0.1:1").want(t, 1)
	if !strings.HasPrefix(r.stderr, "Error listing jobs:") || r.stdout != "" {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
}
