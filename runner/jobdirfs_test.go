package runner

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/sys/unix"

	"github.com/genie-cluster/genie/transport"
)

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestJobDirFSIsAFileSystem(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"stdout": "out\n", "stderr": "", exitCodeFile: "0\n", "a/b/c.txt": "c"})
	fsys, err := openJobDir(dir, -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "stdout", "stderr", exitCodeFile, "a/b/c.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := openJobDir(filepath.Join(dir, "gone"), -1); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a missing directory: %v", err)
	}
}

// plantHostile fills dir with what a job could leave there to trap a
// reader running as root, and returns their names.
func plantHostile(t testing.TB, dir, secret string) []string {
	t.Helper()
	names := []string{"pipe", "leak", "rootfs", "inside", "hard"}
	if err := unix.Mkfifo(filepath.Join(dir, "pipe"), 0o666); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"leak": secret, "rootfs": "/", "inside": "stdout"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(secret, filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := unix.Mknod(filepath.Join(dir, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
			t.Fatal(err)
		}
		// A file of another owner than the directory's: a node's file
		// moved in, or linked in and its other name gone.
		foreign := filepath.Join(dir, "foreign")
		if err := os.WriteFile(foreign, []byte("secret\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(foreign, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		names = append(names, "null", "foreign")
	}
	return names
}

// within fails the test when f does not return in time.
func within(t testing.TB, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

// TestJobDirFSOpensOnlyRegularFilesAndDirectories: FIFOs, links, devices
// and files with a second name are listed but never opened.
func TestJobDirFSOpensOnlyRegularFilesAndDirectories(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	writeSecret(t, secret)
	writeFiles(t, dir, map[string]string{"stdout": "out\n"})
	names := plantHostile(t, dir, secret)
	fsys, err := openJobDir(dir, -1)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		within(t, "opening "+name, func() {
			if f, err := fsys.Open(name); err == nil {
				f.Close()
				t.Errorf("%s was opened", name)
			}
		})
	}
	if b, err := fs.ReadFile(fsys, "stdout"); err != nil || string(b) != "out\n" {
		t.Fatalf("stdout %q %v", b, err)
	}
	if info, err := fs.Lstat(fsys, "leak"); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("lstat leak: %v %v", info, err)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil || len(entries) != len(names)+1 {
		t.Fatalf("listing %v %v", entries, err)
	}

	// Served as the API serves a live job: the file, the listing, and 404
	// for each of the others, at once.
	serve := func(p string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/api/v3/jobs/j1/output/"+p, nil)
		transport.ServeOutput(w, r, transport.OutputRequest{FS: fsys, Path: p, BaseURL: "http://node/api/v3/jobs/j1/output/"})
		return w
	}
	if w := serve("stdout"); w.Code != http.StatusOK || w.Body.String() != "out\n" {
		t.Fatalf("stdout: %d %q", w.Code, w.Body)
	}
	if w := serve(""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"name":"leak"`) {
		t.Fatalf("listing: %d %s", w.Code, w.Body)
	}
	for _, name := range names {
		within(t, "serving "+name, func() {
			if w := serve(name); w.Code != http.StatusNotFound {
				t.Errorf("%s: %d %q", name, w.Code, w.Body)
			}
		})
	}
}

// TestJobDirFSOpensNothingSwappedIn swaps a name between a regular file and
// what a reader must not open while it is read (a second name of a file
// of another owner among them, as a node's file a job linked in would be):
// every open either gets the regular file or fails, at once.
func TestJobDirFSOpensNothingSwappedIn(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	writeSecret(t, secret)
	if err := os.Chown(secret, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"x": "regular\n"})
	fsys, err := openJobDir(dir, -1)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	swapped := make(chan error, 1)
	go func() {
		x, tmp := filepath.Join(dir, "x"), filepath.Join(dir, "tmp")
		plant := []func() error{
			func() error { return os.WriteFile(tmp, []byte("regular\n"), 0o644) },
			func() error { return os.Symlink(secret, tmp) },
			func() error { return unix.Mkfifo(tmp, 0o666) },
			func() error { return os.Link(secret, tmp) },
		}
		for i := 0; ; i++ {
			select {
			case <-stop:
				swapped <- nil
				return
			default:
			}
			if err := plant[i%len(plant)](); err != nil {
				swapped <- err
				return
			}
			if err := os.Rename(tmp, x); err != nil {
				swapped <- err
				return
			}
		}
	}()
	opened := 0
	within(t, "reading while the name is swapped", func() {
		for range 3000 {
			f, err := fsys.Open("x")
			if err != nil {
				continue
			}
			b, err := io.ReadAll(f)
			f.Close()
			if err != nil || string(b) != "regular\n" {
				t.Errorf("read %q %v", b, err)
				return
			}
			opened++
		}
	})
	close(stop)
	if err := <-swapped; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of 3000 opens got the regular file", opened)
}

// While the node takes a finished job's directory back (the directory
// first, then its files), files still of the job's account are served to
// the runner that holds the job; to anyone else they are another owner's.
func TestJobDirFSServesTheJobsAccountWhileTheDirectoryIsTakenBack(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"stdout": "out\n"})
	if err := os.Chown(filepath.Join(dir, "stdout"), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	for account, served := range map[int64]bool{65534: true, -1: false, 65533: false} {
		fsys, err := openJobDir(dir, account)
		if err != nil {
			t.Fatal(err)
		}
		b, err := fs.ReadFile(fsys, "stdout")
		if served && (err != nil || string(b) != "out\n") {
			t.Errorf("account %d: read %q %v, want the job's output", account, b, err)
		}
		if !served && err == nil {
			t.Errorf("account %d: a file of another owner was served", account)
		}
	}
}
