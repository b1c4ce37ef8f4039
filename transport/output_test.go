package transport

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

const (
	outputTestBase     = "http://host:8080/api/v3/jobs/job-1/output/"
	outputTestSentinel = "SENTINEL-7f3c2a-outside-the-job-directory"
	outputTestDigits   = "0123456789abcdefghij"
	outputTestOddName  = `<b>&"x`
)

var (
	outputT0     = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	outputT500ms = outputT0.Add(500 * time.Millisecond)
	outputT123ms = outputT0.Add(123456789 * time.Nanosecond) // truncated, not rounded
)

// outputTestDir builds
//
//	<tmp>/sentinel.txt          outside the job directory
//	<tmp>/job/                  the job directory
//	    stdout, stderr, run, data.json, digits, empty, <b>&"x
//	    a/ a-b/                 sort order of directory names
//	    genie/logs/agent.log, genie/genie.done
//	    empty-dir/
//	    link-out -> ../sentinel.txt, link-in -> stdout, dir-link -> ..  (when symlinks work)
//
// and returns the job directory and whether symlinks were created.
func outputTestDir(t testing.TB) (string, bool) {
	t.Helper()
	tmp := t.TempDir()
	if err := os.WriteFile(filepath.Join(tmp, "sentinel.txt"), []byte(outputTestSentinel), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(tmp, "job")
	files := map[string]string{
		"stdout":               "hello stdout\n",
		"stderr":               "oops\n",
		"run":                  "#!/bin/bash\necho hi\n",
		"data.json":            `{"k":1}`,
		"digits":               outputTestDigits,
		"empty":                "",
		outputTestOddName:      "odd",
		"genie/logs/agent.log": "agent log line\n",
		"genie/genie.done":     "done",
		"a/x":                  "x",
		"a-b/y":                "y",
	}
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "empty-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := true
	for name, target := range map[string]string{
		"link-out": filepath.Join("..", "sentinel.txt"),
		"link-in":  "stdout",
		"dir-link": "..",
	} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			links = false
		}
	}
	// Times last: creating entries changes directory mtimes.
	for name, ts := range map[string]time.Time{
		"stdout":     outputT0,
		"data.json":  outputT500ms,
		"genie":      outputT123ms,
		"genie/logs": outputT0,
		".":          outputT0,
		"empty-dir":  outputT500ms,
	} {
		if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(name)), ts, ts); err != nil {
			t.Fatal(err)
		}
	}
	return root, links
}

type outputResult struct {
	code   int
	header http.Header
	body   string
}

func outputDo(t testing.TB, fsys fs.FS, method, p string, hdr map[string]string) outputResult {
	t.Helper()
	r := httptest.NewRequest(method, "/api/v3/jobs/job-1/output/x", nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	ServeOutput(w, r, OutputRequest{FS: fsys, Path: p, BaseURL: outputTestBase})
	return outputResult{code: w.Code, header: w.Header(), body: w.Body.String()}
}

// outputWantEntry is the expected JSON object for one entry of root, read
// with Lstat so directory sizes are whatever the file system reports.
func outputWantEntry(t *testing.T, root, rel, name, url string) map[string]any {
	t.Helper()
	fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"name":         name,
		"url":          url,
		"size":         json.Number(strconv.FormatInt(fi.Size(), 10)),
		"lastModified": outputTimestamp(fi.ModTime()),
	}
}

func outputDecode(t *testing.T, body string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return m
}

func TestOutputListingJSON(t *testing.T) {
	root, links := outputTestDir(t)
	fsys := os.DirFS(root)
	e := func(rel, name, url string) map[string]any { return outputWantEntry(t, root, rel, name, url) }
	b := outputTestBase

	rootFiles := []any{
		e(outputTestOddName, outputTestOddName, b+"%3Cb%3E&%22x"), // '<' sorts first
		e("data.json", "data.json", b+"data.json"),
		e("digits", "digits", b+"digits"),
	}
	if links { // symlinks are listed as files
		rootFiles = append(rootFiles, e("dir-link", "dir-link", b+"dir-link"))
	}
	rootFiles = append(rootFiles, e("empty", "empty", b+"empty"))
	if links {
		rootFiles = append(rootFiles, e("link-in", "link-in", b+"link-in"), e("link-out", "link-out", b+"link-out"))
	}
	rootFiles = append(rootFiles,
		e("run", "run", b+"run"),
		e("stderr", "stderr", b+"stderr"),
		e("stdout", "stdout", b+"stdout"))
	rootWant := map[string]any{
		"parent": nil,
		"directories": []any{
			e("a-b", "a-b/", b+"a-b/"), // '-' sorts before '/'
			e("a", "a/", b+"a/"),
			e("empty-dir", "empty-dir/", b+"empty-dir/"),
			e("genie", "genie/", b+"genie/"),
		},
		"files": rootFiles,
	}

	tests := []struct {
		name string
		path string
		want map[string]any
	}{
		{name: "root", path: "", want: rootWant},
		{name: "root as ./", path: "./", want: rootWant},
		{
			name: "top-level dir without slash has the job directory as parent",
			path: "genie",
			want: map[string]any{
				"parent":      e(".", "job-1/", b),
				"directories": []any{e("genie/logs", "logs/", b+"genie/logs/")},
				"files":       []any{e("genie/genie.done", "genie.done", b+"genie/genie.done")},
			},
		},
		{
			name: "nested dir",
			path: "genie/logs/",
			want: map[string]any{
				"parent":      e("genie", "genie/", b+"genie/"),
				"directories": []any{},
				"files":       []any{e("genie/logs/agent.log", "agent.log", b+"genie/logs/agent.log")},
			},
		},
		{
			name: "empty dir",
			path: "empty-dir/",
			want: map[string]any{
				"parent":      e(".", "job-1/", b),
				"directories": []any{},
				"files":       []any{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := outputDo(t, fsys, http.MethodGet, tt.path, nil)
			if res.code != http.StatusOK {
				t.Fatalf("status %d, body %s", res.code, res.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if n, _ := strconv.Atoi(res.header.Get("Content-Length")); n != len(res.body) {
				t.Errorf("Content-Length %q, body %d bytes", res.header.Get("Content-Length"), len(res.body))
			}
			got := outputDecode(t, res.body)
			if !reflect.DeepEqual(got, tt.want) {
				gj, _ := json.MarshalIndent(got, "", " ")
				wj, _ := json.MarshalIndent(tt.want, "", " ")
				t.Errorf("listing mismatch\ngot  %s\nwant %s", gj, wj)
			}
		})
	}

	t.Run("empty lists are [] and root parent is null", func(t *testing.T) {
		res := outputDo(t, fsys, http.MethodGet, "empty-dir", nil)
		if !strings.Contains(res.body, `"directories":[]`) || !strings.Contains(res.body, `"files":[]`) {
			t.Errorf("body %s", res.body)
		}
		res = outputDo(t, fsys, http.MethodGet, "", nil)
		if !strings.HasPrefix(res.body, `{"parent":null,"directories":[`) {
			t.Errorf("body %s", res.body)
		}
	})

	t.Run("timestamps", func(t *testing.T) {
		got := outputDecode(t, outputDo(t, fsys, http.MethodGet, "", nil).body)
		stamps := map[string]string{}
		for _, k := range []string{"directories", "files"} {
			for _, v := range got[k].([]any) {
				m := v.(map[string]any)
				stamps[m["name"].(string)] = m["lastModified"].(string)
			}
		}
		for name, want := range map[string]string{
			"stdout":     "2024-05-01T12:00:00Z",
			"data.json":  "2024-05-01T12:00:00.500Z",
			"genie/":     "2024-05-01T12:00:00.123Z",
			"empty-dir/": "2024-05-01T12:00:00.500Z",
		} {
			if stamps[name] != want {
				t.Errorf("%s: lastModified %q, want %q", name, stamps[name], want)
			}
		}
	})
}

func TestOutputTimestamp(t *testing.T) {
	for _, tt := range []struct {
		in   time.Time
		want string
	}{
		{outputT0, "2024-05-01T12:00:00Z"},
		{outputT500ms, "2024-05-01T12:00:00.500Z"},
		{outputT123ms, "2024-05-01T12:00:00.123Z"},
		{outputT0.Add(999999 * time.Nanosecond), "2024-05-01T12:00:00Z"},
		{outputT0.Add(10 * time.Millisecond), "2024-05-01T12:00:00.010Z"},
		{outputT0.In(time.FixedZone("X", 7200)), "2024-05-01T12:00:00Z"},
	} {
		if got := outputTimestamp(tt.in); got != tt.want {
			t.Errorf("outputTimestamp(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOutputListingHTML(t *testing.T) {
	root, _ := outputTestDir(t)
	fsys := os.DirFS(root)

	res := outputDo(t, fsys, http.MethodGet, "", map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
	if res.code != http.StatusOK {
		t.Fatalf("status %d: %s", res.code, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(res.header.Get("Vary"), "Accept") {
		t.Errorf("Vary %q", res.header.Get("Vary"))
	}
	// Well-formed and fully escaped: a strict XML parse fails on a raw <, & or ".
	dec := xml.NewDecoder(strings.NewReader(res.body))
	dec.Strict = true
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("HTML not well-formed: %v\n%s", err, res.body)
		}
	}
	for _, want := range []string{
		`<a href="http://host:8080/api/v3/jobs/job-1/output/%3Cb%3E&amp;%22x">&lt;b&gt;&amp;&#34;x</a>`,
		`<a href="http://host:8080/api/v3/jobs/job-1/output/genie/">genie/</a></td><td>-</td>`,
		`<a href="http://host:8080/api/v3/jobs/job-1/output/stdout">stdout</a></td><td>13</td><td>Wed, 01 May 2024 12:00:00 GMT</td>`,
	} {
		if !strings.Contains(res.body, want) {
			t.Errorf("missing %s in\n%s", want, res.body)
		}
	}
	if strings.Contains(res.body, outputTestOddName) {
		t.Errorf("unescaped name in HTML")
	}
	if strings.Contains(res.body, ">../<") {
		t.Errorf("root listing has a parent link")
	}

	res = outputDo(t, fsys, http.MethodGet, "genie/logs", map[string]string{"Accept": "text/html"})
	for _, want := range []string{
		`<a href="http://host:8080/api/v3/jobs/job-1/output/genie/">../</a>`,
		`<a href="http://host:8080/api/v3/jobs/job-1/output/genie/logs/agent.log">agent.log</a>`,
		`Index of /genie/logs/`,
	} {
		if !strings.Contains(res.body, want) {
			t.Errorf("missing %s in\n%s", want, res.body)
		}
	}
}

func TestOutputFile(t *testing.T) {
	root, _ := outputTestDir(t)
	fsys := os.DirFS(root)
	for _, tt := range []struct {
		path, ctype, body string
	}{
		{"stdout", "text/plain; charset=utf-8", "hello stdout\n"},
		{"stderr", "text/plain; charset=utf-8", "oops\n"},
		{"run", "text/plain; charset=utf-8", "#!/bin/bash\necho hi\n"},
		{"data.json", mime.TypeByExtension(".json"), `{"k":1}`},
		{"genie/logs/agent.log", outputLogType(), "agent log line\n"},
		{"./genie//genie.done", "text/plain; charset=utf-8", "done"},
		{"empty", "text/plain; charset=utf-8", ""},
	} {
		t.Run(tt.path, func(t *testing.T) {
			res := outputDo(t, fsys, http.MethodGet, tt.path, nil)
			if res.code != http.StatusOK || res.body != tt.body {
				t.Fatalf("got %d %q, want 200 %q", res.code, res.body, tt.body)
			}
			h := res.header
			if h.Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type %q, want %q", h.Get("Content-Type"), tt.ctype)
			}
			if h.Get("Content-Length") != strconv.Itoa(len(tt.body)) {
				t.Errorf("Content-Length %q", h.Get("Content-Length"))
			}
			if h.Get("Accept-Ranges") != "bytes" {
				t.Errorf("Accept-Ranges %q", h.Get("Accept-Ranges"))
			}
			if h.Get("Last-Modified") == "" {
				t.Errorf("no Last-Modified")
			}
		})
	}
	res := outputDo(t, fsys, http.MethodGet, "stdout", nil)
	if lm := res.header.Get("Last-Modified"); lm != "Wed, 01 May 2024 12:00:00 GMT" {
		t.Errorf("Last-Modified %q", lm)
	}
	// An empty log is still "200 and nothing" for a client that always sends a Range.
	res = outputDo(t, fsys, http.MethodGet, "empty", map[string]string{"Range": "bytes=0-"})
	if res.code != http.StatusOK || res.body != "" {
		t.Errorf("empty file with Range: %d %q", res.code, res.body)
	}
}

func outputLogType() string {
	if ct := mime.TypeByExtension(".log"); ct != "" {
		return ct
	}
	return "text/plain; charset=utf-8"
}

// outputNoSeekFS hides Seek (and everything else but Stat/Read/Close) from
// the files it opens, like an entry of a compressed archive.
type outputNoSeekFS struct{ fsys fs.FS }

type outputNoSeekFile struct{ fs.File }

func (n outputNoSeekFS) Open(name string) (fs.File, error) {
	f, err := n.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return f, nil
	}
	return outputNoSeekFile{f}, nil
}

func TestOutputRange(t *testing.T) {
	root, _ := outputTestDir(t)
	systems := map[string]fs.FS{
		"seeker":     os.DirFS(root),
		"non-seeker": outputNoSeekFS{os.DirFS(root)},
	}
	type part struct{ rng, body string }
	tests := []struct {
		name, rng    string
		code         int
		contentRange string
		body         string
		parts        []part // multipart/byteranges
	}{
		{name: "single", rng: "bytes=0-4", code: 206, contentRange: "bytes 0-4/20", body: "01234"},
		{name: "middle", rng: "bytes=10-12", code: 206, contentRange: "bytes 10-12/20", body: "abc"},
		{name: "open-ended", rng: "bytes=15-", code: 206, contentRange: "bytes 15-19/20", body: "fghij"},
		{name: "suffix", rng: "bytes=-3", code: 206, contentRange: "bytes 17-19/20", body: "hij"},
		{name: "suffix past start", rng: "bytes=-50", code: 206, contentRange: "bytes 0-19/20", body: outputTestDigits},
		{name: "past EOF clamped", rng: "bytes=10-100", code: 206, contentRange: "bytes 10-19/20", body: "abcdefghij"},
		{name: "multi", rng: "bytes=0-1,5-6", code: 206, parts: []part{{"bytes 0-1/20", "01"}, {"bytes 5-6/20", "56"}}},
		{name: "multi backwards", rng: "bytes=18-,2-3", code: 206, parts: []part{{"bytes 18-19/20", "ij"}, {"bytes 2-3/20", "23"}}},
		{name: "start at EOF", rng: "bytes=20-", code: 416, contentRange: "bytes */20"},
		{name: "start past EOF", rng: "bytes=100-200", code: 416, contentRange: "bytes */20"},
		{name: "malformed", rng: "bytes=abc", code: 416, contentRange: "bytes */20"},
		{name: "not bytes", rng: "lines=1-2", code: 416, contentRange: "bytes */20"},
	}
	for sysName, fsys := range systems {
		for _, tt := range tests {
			t.Run(sysName+"/"+tt.name, func(t *testing.T) {
				res := outputDo(t, fsys, http.MethodGet, "digits", map[string]string{"Range": tt.rng})
				if res.code != tt.code {
					t.Fatalf("status %d, want %d (body %q)", res.code, tt.code, res.body)
				}
				if tt.code == http.StatusRequestedRangeNotSatisfiable {
					if res.body != "" {
						t.Errorf("416 body %q, want empty", res.body)
					}
					if cl := res.header.Get("Content-Length"); cl != "0" {
						t.Errorf("416 Content-Length %q", cl)
					}
				}
				if tt.parts == nil {
					if cr := res.header.Get("Content-Range"); cr != tt.contentRange {
						t.Errorf("Content-Range %q, want %q", cr, tt.contentRange)
					}
					if res.body != tt.body {
						t.Errorf("body %q, want %q", res.body, tt.body)
					}
					return
				}
				mt, params, err := mime.ParseMediaType(res.header.Get("Content-Type"))
				if err != nil || mt != "multipart/byteranges" {
					t.Fatalf("Content-Type %q", res.header.Get("Content-Type"))
				}
				mr := multipart.NewReader(strings.NewReader(res.body), params["boundary"])
				for i, want := range tt.parts {
					p, err := mr.NextPart()
					if err != nil {
						t.Fatalf("part %d: %v", i, err)
					}
					data, _ := io.ReadAll(p)
					if got := p.Header.Get("Content-Range"); got != want.rng || string(data) != want.body {
						t.Errorf("part %d: %q %q, want %q %q", i, got, data, want.rng, want.body)
					}
				}
				if _, err := mr.NextPart(); err != io.EOF {
					t.Errorf("extra parts: %v", err)
				}
			})
		}
	}
}

func TestOutputHead(t *testing.T) {
	root, _ := outputTestDir(t)
	fsys := os.DirFS(root)

	res := outputDo(t, fsys, http.MethodHead, "stdout", nil)
	if res.code != 200 || res.body != "" || res.header.Get("Content-Length") != "13" ||
		res.header.Get("Accept-Ranges") != "bytes" || res.header.Get("Content-Type") != outputDefaultType {
		t.Errorf("HEAD file: %d %q %v", res.code, res.body, res.header)
	}
	res = outputDo(t, fsys, http.MethodHead, "digits", map[string]string{"Range": "bytes=2-5"})
	if res.code != 206 || res.body != "" || res.header.Get("Content-Range") != "bytes 2-5/20" {
		t.Errorf("HEAD range: %d %q %v", res.code, res.body, res.header)
	}
	get := outputDo(t, fsys, http.MethodGet, "genie", nil)
	res = outputDo(t, fsys, http.MethodHead, "genie", nil)
	if res.code != 200 || res.body != "" || res.header.Get("Content-Type") != "application/json" ||
		res.header.Get("Content-Length") != strconv.Itoa(len(get.body)) {
		t.Errorf("HEAD dir: %d %q %v", res.code, res.body, res.header)
	}
	res = outputDo(t, fsys, http.MethodHead, "nope", nil)
	if res.code != 404 || res.body != "" {
		t.Errorf("HEAD missing: %d %q", res.code, res.body)
	}
}

func outputCheck404(t *testing.T, res outputResult, p string) {
	t.Helper()
	if res.code != http.StatusNotFound {
		t.Fatalf("%q: status %d, body %q", p, res.code, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%q: Content-Type %q", p, ct)
	}
	want, _ := json.Marshal(map[string]any{"errorCode": 404, "message": "No such file or directory: " + p})
	if res.body != string(want) {
		t.Errorf("%q: body %s, want %s", p, res.body, want)
	}
	if strings.Contains(res.body, outputTestSentinel) {
		t.Errorf("%q: sentinel leaked", p)
	}
}

func TestOutputNotFoundAndTraversal(t *testing.T) {
	root, _ := outputTestDir(t)
	fsys := os.DirFS(root)
	res := outputDo(t, fsys, http.MethodGet, "nope", nil)
	if res.body != `{"errorCode":404,"message":"No such file or directory: nope"}` {
		t.Errorf("body %s", res.body)
	}
	for _, p := range []string{
		"nope", "genie/nope", "nope/",
		"stdout/", "stdout/x", // a file is not a directory
		"..", "../", "../sentinel.txt", "../job/stdout",
		"%2e%2e/sentinel.txt", "%2e%2e/", "%2E%2E%2Fsentinel.txt",
		"/etc/passwd", "/", "//stdout",
		"a/../../x", "genie/../../sentinel.txt", "genie/../stdout", "./../sentinel.txt",
		"genie/logs/../../..",
		"stdout\x00", "\x00",
		`..\sentinel.txt`,
		strings.Repeat("a", 5000),
		strings.Repeat("a/", 3000),
	} {
		outputCheck404(t, outputDo(t, fsys, http.MethodGet, p, nil), p)
		outputCheck404(t, outputDo(t, fsys, http.MethodGet, p, map[string]string{"Accept": "text/html"}), p)
	}
	// A missing job directory is a 404 too.
	outputCheck404(t, outputDo(t, os.DirFS(filepath.Join(root, "gone")), http.MethodGet, "", nil), "")
	res = outputDo(t, nil, http.MethodGet, "stdout", nil)
	outputCheck404(t, res, "stdout")
}

func TestOutputSymlinks(t *testing.T) {
	root, links := outputTestDir(t)
	if !links {
		// genie runs on Linux, where a test dir always takes symlinks.
		t.Fatal("could not create the test's symlinks")
	}
	fsys := os.DirFS(root)
	for _, p := range []string{
		"link-out", "link-in", "dir-link", "dir-link/", "dir-link/sentinel.txt", "dir-link/job/stdout",
	} {
		outputCheck404(t, outputDo(t, fsys, http.MethodGet, p, map[string]string{"Range": "bytes=0-"}), p)
	}
	// Listed as files with the link's own size (its target's length).
	got := outputDecode(t, outputDo(t, fsys, http.MethodGet, "", nil).body)
	found := false
	for _, v := range got["files"].([]any) {
		m := v.(map[string]any)
		if m["name"] == "link-out" {
			found = true
			target, _ := os.Readlink(filepath.Join(root, "link-out"))
			if m["size"] != json.Number(strconv.Itoa(len(target))) {
				t.Errorf("link-out size %v, want %d", m["size"], len(target))
			}
		}
		if m["name"] == "dir-link/" {
			t.Errorf("symlink listed as a directory")
		}
	}
	if !found {
		t.Errorf("link-out not listed")
	}
	for _, v := range got["directories"].([]any) {
		if v.(map[string]any)["name"] == "dir-link/" {
			t.Errorf("symlink listed as a directory")
		}
	}
	// A job directory that is itself reached through a link is the caller's choice and works.
	linkRoot := filepath.Join(t.TempDir(), "alias")
	if err := os.Symlink(root, linkRoot); err != nil {
		t.Fatal(err)
	}
	if res := outputDo(t, os.DirFS(linkRoot), http.MethodGet, "stdout", nil); res.code != 200 {
		t.Errorf("linked root: %d", res.code)
	}
}

func TestOutputSpecialFile(t *testing.T) {
	root, _ := outputTestDir(t)
	if err := syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan outputResult, 1)
	go func() { done <- outputDo(t, os.DirFS(root), http.MethodGet, "pipe", nil) }()
	select {
	case res := <-done:
		outputCheck404(t, res, "pipe")
	case <-time.After(5 * time.Second):
		t.Fatal("opening a FIFO blocked")
	}
}

// outputPermFS refuses to open one name, as a file system does for a file
// the server may not read (which a test running as root cannot arrange).
type outputPermFS struct {
	fstest.MapFS
	deny string
}

func (p outputPermFS) Open(name string) (fs.File, error) {
	if name == p.deny {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return p.MapFS.Open(name)
}

func TestOutputPermission(t *testing.T) {
	m := fstest.MapFS{
		"secret":     {Data: []byte("s"), ModTime: outputT0},
		"locked/x":   {Data: []byte("x"), ModTime: outputT0},
		"locked":     {Mode: fs.ModeDir | 0o755, ModTime: outputT0},
		"public.txt": {Data: []byte("p"), ModTime: outputT0},
	}
	for _, deny := range []string{"secret", "locked"} {
		res := outputDo(t, outputPermFS{m, deny}, http.MethodGet, deny, nil)
		want := `{"errorCode":403,"message":"Permission denied: ` + deny + `"}`
		if res.code != 403 || res.body != want || res.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", deny, res.code, res.body)
		}
	}
}

// An archived copy need not be an os file system; fstest.MapFS stands in for one.
func TestOutputArchiveFS(t *testing.T) {
	m := fstest.MapFS{
		"stdout":           {Data: []byte(outputTestDigits), ModTime: outputT500ms},
		"genie/logs/a.log": {Data: []byte("a"), ModTime: outputT0},
		"genie/genie.done": {Data: []byte("d"), ModTime: outputT0},
		"genie/x y#?.txt":  {Data: []byte("xy"), ModTime: outputT0},
		"genie/link":       {Data: []byte("stdout"), Mode: fs.ModeSymlink},
	}
	res := outputDo(t, m, http.MethodGet, "stdout", map[string]string{"Range": "bytes=-5"})
	if res.code != 206 || res.body != "fghij" || res.header.Get("Content-Range") != "bytes 15-19/20" {
		t.Errorf("range on MapFS: %d %q %v", res.code, res.body, res.header)
	}
	res = outputDo(t, m, http.MethodGet, "genie/", nil)
	got := outputDecode(t, res.body)
	files := got["files"].([]any)
	var names, urls []string
	for _, f := range files {
		names = append(names, f.(map[string]any)["name"].(string))
		urls = append(urls, f.(map[string]any)["url"].(string))
	}
	wantNames := []string{"genie.done", "link", "x y#?.txt"}
	wantURLs := []string{outputTestBase + "genie/genie.done", outputTestBase + "genie/link", outputTestBase + "genie/x%20y%23%3F.txt"}
	if !reflect.DeepEqual(names, wantNames) || !reflect.DeepEqual(urls, wantURLs) {
		t.Errorf("files %v %v", names, urls)
	}
	if res := outputDo(t, m, http.MethodGet, "genie/x y#?.txt", nil); res.code != 200 || res.body != "xy" {
		t.Errorf("odd name: %d %q", res.code, res.body)
	}
	outputCheck404(t, outputDo(t, m, http.MethodGet, "genie/link", nil), "genie/link")
}

func TestOutputCleanPath(t *testing.T) {
	for _, tt := range []struct {
		in       string
		name     string
		trailing bool
		ok       bool
	}{
		{"", ".", false, true},
		{"./", ".", true, true},
		{"a", "a", false, true},
		{"a/", "a", true, true},
		{"a//b/./c", "a/b/c", false, true},
		{"a/../b", "", false, false},
		{"..", "", false, false},
		{"/a", "", false, false},
		{"a\x00", "", false, false},
		{"...", "...", false, true},
		{"..a/b..", "..a/b..", false, true},
	} {
		name, trailing, ok := outputCleanPath(tt.in)
		if name != tt.name || trailing != tt.trailing || ok != tt.ok {
			t.Errorf("outputCleanPath(%q) = %q %v %v", tt.in, name, trailing, ok)
		}
	}
}

func TestOutputRootName(t *testing.T) {
	for in, want := range map[string]string{
		"http://host:8080/api/v3/jobs/job-1/output/": "job-1/",
		"http://host/api/v3/jobs/a%20b/output":       "a b/",
		"/api/v3/jobs/j/output/":                     "j/",
	} {
		if got := outputRootName(in); got != want {
			t.Errorf("outputRootName(%q) = %q, want %q", in, got, want)
		}
	}
}

// The 416 rewrite must not touch other statuses or lose Unwrap, and the
// sequential seeker must honour seeks in any order.
func TestOutputHelpers(t *testing.T) {
	rec := httptest.NewRecorder()
	w := &outputRangeWriter{ResponseWriter: rec, size: 7}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("abc"))
	if rec.Body.String() != "abc" || rec.Header().Get("Content-Range") != "" {
		t.Errorf("200 altered: %q %v", rec.Body.String(), rec.Header())
	}
	if w.Unwrap() != http.ResponseWriter(rec) {
		t.Errorf("Unwrap")
	}
	var buf bytes.Buffer
	s := &outputSeqSeeker{fsys: fstest.MapFS{"f": {Data: []byte("0123")}}, name: "f", size: 4}
	f, _ := s.fsys.Open("f")
	s.f = f
	defer s.close()
	for _, off := range []int64{2, 0, 3, 1} {
		if _, err := s.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		if _, err := io.ReadFull(s, b); err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
	}
	if buf.String() != "2031" {
		t.Errorf("seq seeker read %q", buf.String())
	}
	if _, err := s.Seek(-1, io.SeekStart); err == nil {
		t.Errorf("negative seek accepted")
	}
	if n, err := s.Seek(0, io.SeekEnd); n != 4 || err != nil {
		t.Errorf("SeekEnd = %d %v", n, err)
	}
	if _, err := s.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("read at end: %v", err)
	}
}
