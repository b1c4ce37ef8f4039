package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OutputRequest describes one request for a job's output.
type OutputRequest struct {
	FS      fs.FS  // the job directory: os.DirFS of the live working dir, or an archived copy
	Path    string // path below the job directory, as it appeared after /output/ (may be "", may end in "/")
	BaseURL string // absolute URL of the output root, ending in "/output/" (e.g. "http://host:8080/api/v3/jobs/ID/output/"); entry urls are BaseURL + relative path
}

// ServeOutput answers a request for a job's output: a directory listing (JSON, or HTML when the Accept header contains "text/html"), or a file's bytes with Range support.
//
// Path is taken as already URL-decoded (as from r.PathValue); it is never
// decoded again, so "%2e%2e" names a file called "%2e%2e".
//
// Containment rules: a path with a ".." component, an absolute path, a NUL
// byte, or one that fs.ValidPath rejects after cleaning is answered 404.
// Symbolic links are never followed: each component of the path is checked
// with fs.Lstat, a listing shows a link as a file with its lstat size, and a
// request that names a link or goes through one is answered 404. Only regular
// files are served (a FIFO or device would block or never end). An FS that
// does not implement fs.ReadLinkFS is trusted to contain its own links. For an
// os file system the opened file is also compared with the checked one, which
// narrows, but cannot close, the window in which a running job could swap a
// checked path for a link; passing os.Root.FS instead of os.DirFS closes it.
//
// Entry URLs are BaseURL plus the relative path with each segment
// percent-escaped; directory URLs end in "/". The listing's parent entry at
// the top level is the job directory itself, named after the last segment of
// BaseURL before "/output/" (the job id), as Genie names it after the job
// directory. A Range on an empty file is answered 200 with an empty body
// rather than 416, so clients tailing a log that has not started get no error.
func ServeOutput(w http.ResponseWriter, r *http.Request, req OutputRequest) {
	name, trailingSlash, ok := outputCleanPath(req.Path)
	if !ok || req.FS == nil {
		writeOutputError(w, r, http.StatusNotFound, "No such file or directory: "+req.Path)
		return
	}
	infos, err := outputLookup(req.FS, name)
	if err != nil {
		writeOutputLookupError(w, r, req.Path, err)
		return
	}
	info := infos[len(infos)-1]
	switch {
	case info.IsDir():
		serveOutputDir(w, r, req, name, infos)
	case trailingSlash || !info.Mode().IsRegular():
		// "file/" is ENOTDIR on a file system; links and special files are
		// not served (see above).
		writeOutputError(w, r, http.StatusNotFound, "No such file or directory: "+req.Path)
	default:
		serveOutputFile(w, r, req, name, info)
	}
}

// outputEntry is one row of a listing, in Genie's v3 wire shape.
type outputEntry struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Size         int64  `json:"size"`
	LastModified string `json:"lastModified"`

	isDir   bool
	modTime time.Time
}

// outputListing is a directory listing in Genie's v3 wire shape.
type outputListing struct {
	Parent      *outputEntry  `json:"parent"`
	Directories []outputEntry `json:"directories"`
	Files       []outputEntry `json:"files"`
}

// errOutputSymlink stops a lookup at a symbolic link; it is answered 404.
var errOutputSymlink = errors.New("symbolic link not followed")

// outputCleanPath validates a request path and returns its fs.FS name ("."
// for the root) and whether it ended in "/".
func outputCleanPath(p string) (name string, trailingSlash bool, ok bool) {
	if strings.IndexByte(p, 0) >= 0 || strings.HasPrefix(p, "/") {
		return "", false, false
	}
	// Refuse ".." outright instead of letting path.Clean fold "a/../b":
	// a request that tries to climb is not a request for a sibling.
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", false, false
		}
	}
	name = path.Clean(p) // "" and "./" become "."
	if !fs.ValidPath(name) {
		return "", false, false
	}
	return name, strings.HasSuffix(p, "/"), true
}

// outputLookup resolves name one component at a time without following
// symbolic links. It returns the FileInfo of the root followed by one per
// component, so callers also get the parent directory's metadata.
func outputLookup(fsys fs.FS, name string) ([]fs.FileInfo, error) {
	root, err := fs.Stat(fsys, ".")
	if err != nil {
		return nil, err
	}
	if !root.IsDir() {
		return nil, fs.ErrNotExist
	}
	infos := []fs.FileInfo{root}
	if name == "." {
		return infos, nil
	}
	end := 0
	for end < len(name) {
		next := strings.IndexByte(name[end:], '/')
		last := next < 0
		if last {
			end = len(name)
		} else {
			end += next
		}
		fi, err := fs.Lstat(fsys, name[:end])
		if err != nil {
			return nil, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, errOutputSymlink
		}
		if !last && !fi.IsDir() {
			return nil, fs.ErrNotExist
		}
		infos = append(infos, fi)
		end++ // skip the '/'
	}
	return infos, nil
}

// outputSameFile reports whether the opened file is the one that was checked.
// Only os file infos can be compared; other file systems are trusted.
func outputSameFile(checked, opened fs.FileInfo) bool {
	if os.SameFile(checked, checked) && os.SameFile(opened, opened) {
		return os.SameFile(checked, opened)
	}
	return true
}

// writeOutputLookupError maps a failure to find or open a user-supplied path.
// Every cause other than permission (missing, not a directory, name too long,
// a link, ...) means there is nothing at that path to serve: 404, never 5xx.
func writeOutputLookupError(w http.ResponseWriter, r *http.Request, reqPath string, err error) {
	if errors.Is(err, fs.ErrPermission) {
		writeOutputError(w, r, http.StatusForbidden, "Permission denied: "+reqPath)
		return
	}
	writeOutputError(w, r, http.StatusNotFound, "No such file or directory: "+reqPath)
}

// writeOutputError writes Genie's error body {"errorCode": <status>, "message": "..."}.
func writeOutputError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	body, err := json.Marshal(struct {
		ErrorCode int    `json:"errorCode"`
		Message   string `json:"message"`
	}{status, msg})
	if err != nil {
		body = []byte(`{"errorCode":` + strconv.Itoa(status) + `,"message":null}`)
	}
	writeOutputBody(w, r, status, "application/json", body)
}

// writeOutputBody writes a complete in-memory response; HEAD gets the headers only.
func writeOutputBody(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// outputTimestamp formats t like Java's Instant.toString truncated to
// milliseconds: no fraction when ms=0, otherwise exactly three digits.
func outputTimestamp(t time.Time) string {
	t = t.UTC().Truncate(time.Millisecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// outputURL is the absolute URL of rel ("." for the root) below base.
func outputURL(base, rel string, dir bool) string {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	if rel == "." {
		return base
	}
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := base + strings.Join(segs, "/")
	if dir {
		u += "/"
	}
	return u
}

// outputRootName names the job directory when it appears as a parent entry:
// the path segment before "/output/" in base, which is the job id.
func outputRootName(base string) string {
	p := base
	if u, err := url.Parse(base); err == nil {
		p = u.Path
	}
	p = strings.TrimSuffix(p, "/")
	p = strings.TrimSuffix(p, "/output")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	return p + "/"
}

func newOutputEntry(name, url string, fi fs.FileInfo, dir bool) outputEntry {
	return outputEntry{
		Name:         name,
		URL:          url,
		Size:         fi.Size(),
		LastModified: outputTimestamp(fi.ModTime()),
		isDir:        dir,
		modTime:      fi.ModTime(),
	}
}

func serveOutputDir(w http.ResponseWriter, r *http.Request, req OutputRequest, name string, infos []fs.FileInfo) {
	entries, err := outputReadDir(req.FS, name, infos[len(infos)-1])
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			writeOutputError(w, r, http.StatusForbidden, "Permission denied: "+req.Path)
		} else if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errOutputSymlink) {
			writeOutputError(w, r, http.StatusNotFound, "No such file or directory: "+req.Path)
		} else {
			// The path was valid and is a directory: this is a server-side fault.
			writeOutputError(w, r, http.StatusInternalServerError, "Unable to read directory: "+req.Path)
		}
		return
	}

	listing := outputListing{Directories: []outputEntry{}, Files: []outputEntry{}}
	if name != "." {
		parentRel := path.Dir(name)
		parentName := outputRootName(req.BaseURL)
		if parentRel != "." {
			parentName = path.Base(parentRel) + "/"
		}
		parent := newOutputEntry(parentName, outputURL(req.BaseURL, parentRel, true), infos[len(infos)-2], true)
		listing.Parent = &parent
	}
	for _, de := range entries {
		fi, err := de.Info()
		if err != nil {
			continue // removed since the directory was read
		}
		rel := de.Name()
		if name != "." {
			rel = name + "/" + rel
		}
		if fi.IsDir() {
			listing.Directories = append(listing.Directories,
				newOutputEntry(de.Name()+"/", outputURL(req.BaseURL, rel, true), fi, true))
		} else {
			listing.Files = append(listing.Files,
				newOutputEntry(de.Name(), outputURL(req.BaseURL, rel, false), fi, false))
		}
	}
	// Sort on the wire names, so "a-b/" sorts before "a/" as in Genie.
	sort.Slice(listing.Directories, func(i, j int) bool { return listing.Directories[i].Name < listing.Directories[j].Name })
	sort.Slice(listing.Files, func(i, j int) bool { return listing.Files[i].Name < listing.Files[j].Name })

	// The representation depends on Accept, so shared caches must key on it.
	w.Header().Add("Vary", "Accept")
	if outputWantsHTML(r) {
		title := "/"
		if name != "." {
			title = "/" + name + "/"
		}
		var buf bytes.Buffer
		if err := outputHTMLTemplate.Execute(&buf, outputHTMLPage(title, listing)); err != nil {
			writeOutputError(w, r, http.StatusInternalServerError, "Unable to render directory: "+req.Path)
			return
		}
		writeOutputBody(w, r, http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // names as written, like Jackson; nosniff keeps this safe
	if err := enc.Encode(listing); err != nil {
		writeOutputError(w, r, http.StatusInternalServerError, "Unable to render directory: "+req.Path)
		return
	}
	writeOutputBody(w, r, http.StatusOK, "application/json", buf.Bytes())
}

// outputReadDir opens the checked directory, makes sure it is still the one
// that was checked, and reads it.
func outputReadDir(fsys fs.FS, name string, checked fs.FileInfo) ([]fs.DirEntry, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opened, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !opened.IsDir() || !outputSameFile(checked, opened) {
		return nil, errOutputSymlink
	}
	if d, ok := f.(fs.ReadDirFile); ok {
		return d.ReadDir(-1)
	}
	return fs.ReadDir(fsys, name)
}

// outputWantsHTML follows Genie: any Accept value containing "text/html".
func outputWantsHTML(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(strings.ToLower(v), "text/html") {
			return true
		}
	}
	return false
}

type outputHTMLRow struct {
	Name, URL, Size, Modified string
}

type outputHTMLData struct {
	Title  string
	Parent *outputHTMLRow
	Rows   []outputHTMLRow
}

func outputHTMLPage(title string, l outputListing) outputHTMLData {
	row := func(e outputEntry) outputHTMLRow {
		size := "-"
		if !e.isDir {
			size = strconv.FormatInt(e.Size, 10)
		}
		return outputHTMLRow{Name: e.Name, URL: e.URL, Size: size, Modified: e.modTime.UTC().Format(http.TimeFormat)}
	}
	d := outputHTMLData{Title: title}
	if l.Parent != nil {
		p := row(*l.Parent)
		d.Parent = &p
	}
	for _, e := range l.Directories {
		d.Rows = append(d.Rows, row(e))
	}
	for _, e := range l.Files {
		d.Rows = append(d.Rows, row(e))
	}
	return d
}

// outputHTMLTemplate is also well-formed XML, which keeps it easy to check.
// html/template escapes names and filters URLs.
var outputHTMLTemplate = template.Must(template.New("output").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>Index of {{.Title}}</title>
</head>
<body>
<h1>Index of {{.Title}}</h1>
<table>
<thead><tr><th>Name</th><th>Size</th><th>Last Modified</th></tr></thead>
<tbody>
{{- with .Parent}}
<tr><td><a href="{{.URL}}">../</a></td><td>-</td><td>{{.Modified}}</td></tr>
{{- end}}
{{- range .Rows}}
<tr><td><a href="{{.URL}}">{{.Name}}</a></td><td>{{.Size}}</td><td>{{.Modified}}</td></tr>
{{- end}}
</tbody>
</table>
</body>
</html>
`))

// outputDefaultType covers stdout, stderr, run and other files without a
// known extension, as Genie does.
const outputDefaultType = "text/plain; charset=utf-8"

func serveOutputFile(w http.ResponseWriter, r *http.Request, req OutputRequest, name string, checked fs.FileInfo) {
	f, err := req.FS.Open(name)
	if err != nil {
		writeOutputLookupError(w, r, req.Path, err)
		return
	}
	opened, err := f.Stat()
	if err != nil || !opened.Mode().IsRegular() || !outputSameFile(checked, opened) {
		f.Close()
		writeOutputError(w, r, http.StatusNotFound, "No such file or directory: "+req.Path)
		return
	}

	content, ok := f.(io.ReadSeeker)
	if !ok {
		content = &outputSeqSeeker{fsys: req.FS, name: name, f: f, size: opened.Size()}
	}
	defer func() {
		if s, ok := content.(*outputSeqSeeker); ok {
			s.close()
		} else {
			f.Close()
		}
	}()

	setOutputFileHeaders(w.Header(), name)
	http.ServeContent(&outputRangeWriter{ResponseWriter: w, size: opened.Size()}, r, path.Base(name), opened.ModTime(), content)
}

// setOutputFileHeaders types a file of a job's output by its extension
// and keeps it from acting on the API's origin.
func setOutputFileHeaders(h http.Header, name string) {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = outputDefaultType
	}
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	// Job output is arbitrary content served from the API's origin; a
	// sandboxed document cannot script that origin even if it is HTML.
	h.Set("Content-Security-Policy", "sandbox")
}

// outputRangeWriter turns http.ServeContent's 416 (which carries a text body)
// into Genie's: empty body, Content-Length: 0, Content-Range: bytes */<size>.
type outputRangeWriter struct {
	http.ResponseWriter
	size    int64
	discard bool
}

func (w *outputRangeWriter) WriteHeader(code int) {
	if code == http.StatusRequestedRangeNotSatisfiable {
		h := w.Header()
		h.Del("Content-Type")
		h.Set("Content-Length", "0")
		if h.Get("Content-Range") == "" {
			// Malformed ranges get no Content-Range from ServeContent.
			h.Set("Content-Range", fmt.Sprintf("bytes */%d", w.size))
		}
		w.discard = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *outputRangeWriter) Write(p []byte) (int, error) {
	if w.discard {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *outputRangeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// outputSeqSeeker gives http.ServeContent an io.ReadSeeker over a file that
// cannot seek (e.g. an entry of a compressed archive) without holding the file
// in memory: a seek only records the position; the next read skips forward,
// or reopens the file first when the position is behind.
type outputSeqSeeker struct {
	fsys fs.FS
	name string
	f    fs.File
	cur  int64 // read position of f
	pos  int64 // position requested by Seek
	size int64
}

func (s *outputSeqSeeker) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = s.pos + offset
	case io.SeekEnd:
		abs = s.size + offset
	default:
		return 0, errors.New("seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("seek: negative position")
	}
	s.pos = abs
	return abs, nil
}

func (s *outputSeqSeeker) Read(p []byte) (int, error) {
	if s.pos < s.cur {
		s.f.Close()
		f, err := s.fsys.Open(s.name)
		if err != nil {
			s.f = nil
			return 0, err
		}
		s.f, s.cur = f, 0
	}
	if s.f == nil {
		return 0, fs.ErrClosed
	}
	if s.pos > s.cur {
		n, err := io.CopyN(io.Discard, s.f, s.pos-s.cur)
		s.cur += n
		if err != nil {
			return 0, err
		}
	}
	n, err := s.f.Read(p)
	s.cur += int64(n)
	s.pos = s.cur
	return n, err
}

func (s *outputSeqSeeker) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}
