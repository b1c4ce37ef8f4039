package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

// crossDevice makes l see job directories outside its root as being on
// another file system, the way a tmpfs jobs directory is.
func crossDevice(l *Local) {
	real := l.rename
	l.rename = func(oldpath, newpath string) error {
		if filepath.Dir(oldpath) != l.Root() {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EXDEV}
		}
		return real(oldpath, newpath)
	}
}

// rootNames lists the root of the store, temporaries included.
func rootNames(t *testing.T, l *Local) []string {
	t.Helper()
	entries, err := os.ReadDir(l.Root())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func putZip(t *testing.T, l *Local, id, src string) (string, fs.FS) {
	t.Helper()
	loc, err := l.Put(context.Background(), id, src)
	if err != nil {
		t.Fatal(err)
	}
	if want := "file://" + filepath.Join(l.Root(), id+".zip"); loc != want {
		t.Fatalf("location %q, want %q", loc, want)
	}
	fsys, err := l.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	return loc, fsys
}

func TestZipRoundTrip(t *testing.T) {
	l := newStore(t)
	crossDevice(l)
	src := makeJobDir(t, t.TempDir(), "job-z")
	if err := os.Chmod(filepath.Join(src, "run"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src, "genie/job"), 0o700); err != nil {
		t.Fatal(err)
	}
	// Odd seconds: the zip's DOS time alone would round them to two.
	want := map[string]fs.FileInfo{}
	i := 0
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		i++
		mod := time.Unix(1_700_000_001+int64(2*i), 987_654_321)
		return os.Chtimes(p, mod, mod)
	})
	if err != nil {
		t.Fatal(err)
	}
	contents := map[string][]byte{}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		want[filepath.ToSlash(rel)] = info
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			contents[filepath.ToSlash(rel)] = b
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	loc, fsys := putZip(t, l, "job-z", src)
	if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("source not removed: %v", err)
	}
	if names := rootNames(t, l); !slices.Equal(names, []string{"job-z.zip"}) {
		t.Fatalf("root holds %v, want only the zip", names)
	}

	for name, body := range contents {
		b, err := fs.ReadFile(fsys, name)
		if err != nil || !bytes.Equal(b, body) {
			t.Errorf("%s: %q, %v; want %q", name, b, err, body)
		}
	}
	for name, w := range want {
		got, err := fs.Stat(fsys, name)
		if err != nil {
			t.Errorf("stat %s: %v", name, err)
			continue
		}
		// zip.Reader shows every directory as read-only (0555); the
		// directories' own modes are checked in the zip below.
		if w.IsDir() {
			if !got.IsDir() {
				t.Errorf("%s: mode %v, want a directory", name, got.Mode())
			}
		} else if got.Mode() != w.Mode() || got.Size() != w.Size() {
			t.Errorf("%s: mode %v size %d, want %v %d", name, got.Mode(), got.Size(), w.Mode(), w.Size())
		}
		if got.ModTime().Unix() != w.ModTime().Unix() {
			t.Errorf("%s: modified %v, want %v", name, got.ModTime(), w.ModTime())
		}
	}

	zr, err := zip.OpenReader(strings.TrimPrefix(loc, "file://"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		w := want[strings.TrimSuffix(zf.Name, "/")]
		if zf.Name == ManifestPath {
			continue
		}
		if w == nil {
			t.Errorf("zip holds %s, not in the job", zf.Name)
			continue
		}
		if zf.Mode() != w.Mode() || strings.HasSuffix(zf.Name, "/") != w.IsDir() {
			t.Errorf("zip entry %s: mode %v, want %v", zf.Name, zf.Mode(), w.Mode())
		}
		if !w.IsDir() && zf.Method != zip.Deflate {
			t.Errorf("zip entry %s: method %d, want deflate", zf.Name, zf.Method)
		}
	}
	if len(zr.File) != len(want) { // "." is not an entry; the manifest is
		t.Errorf("zip holds %d entries, want %d", len(zr.File), len(want))
	}

	readDir := func(dir string) []string {
		t.Helper()
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			t.Fatalf("read dir %s: %v", dir, err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	if got := readDir("."); strings.Join(got, " ") != "data.json genie run stderr stdout" {
		t.Errorf("root lists %v", got)
	}
	if got := readDir("genie"); strings.Join(got, " ") != "exit-code job manifest.json pid" {
		t.Errorf("genie lists %v", got)
	}
	if got := readDir("genie/job/config"); strings.Join(got, " ") != "a" {
		t.Errorf("genie/job/config lists %v", got)
	}

	// The manifest lists exactly what the zip holds, as a directory
	// archive's manifest would.
	m, err := ReadManifest(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, e := range m.Entries {
		listed = append(listed, e.Path)
		w := want[e.Path]
		if w == nil {
			t.Errorf("manifest lists %s, not in the job", e.Path)
			continue
		}
		if e.Directory != w.IsDir() || e.Modified != w.ModTime().UnixMilli() || (!e.Directory && e.Size != w.Size()) {
			t.Errorf("manifest entry %+v, want %v %v %d", e, w.IsDir(), w.ModTime(), w.Size())
		}
	}
	wantPaths := []string{"data.json", "genie", "genie/exit-code", "genie/job", "genie/job/config",
		"genie/job/config/a", "genie/pid", "run", "stderr", "stdout"}
	if !slices.Equal(listed, wantPaths) {
		t.Fatalf("manifest lists %v, want %v", listed, wantPaths)
	}
	if m.NumFiles != 7 || m.NumDirectories != 3 || m.TotalSize != int64(6+0+21+4+2+4+7) {
		t.Fatalf("totals %d files %d dirs %d bytes", m.NumFiles, m.NumDirectories, m.TotalSize)
	}

	if err := fstest.TestFS(fsys, "stdout", "stderr", "run", "data.json", "genie/pid",
		"genie/job/config/a", ManifestPath); err != nil {
		t.Fatal(err)
	}
}

func TestZipLargeFile(t *testing.T) {
	l := newStore(t)
	crossDevice(l)
	src := makeJobDir(t, t.TempDir(), "job-big")
	// Half noise, half text: both the stored and the well-compressed
	// paths of the deflater get exercised.
	big := make([]byte, 6<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big[:len(big)/2] {
		big[i] = byte(rng.Uint32())
	}
	for i := len(big) / 2; i < len(big); i++ {
		big[i] = "line of output\n"[i%15]
	}
	if err := os.WriteFile(filepath.Join(src, "big.log"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	_, fsys := putZip(t, l, "job-big", src)
	b, err := fs.ReadFile(fsys, "big.log")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, big) {
		t.Fatalf("read back %d bytes, differing from the %d written", len(b), len(big))
	}
	info, err := fs.Stat(fsys, "big.log")
	if err != nil || info.Size() != int64(len(big)) {
		t.Fatalf("stat %v, %v", info, err)
	}
}

func TestZipRetryAndReplace(t *testing.T) {
	l := newStore(t)
	crossDevice(l)
	parent := t.TempDir()
	src := makeJobDir(t, parent, "job-r")
	loc, _ := putZip(t, l, "job-r", src)

	// A retry sees the source gone and finds the zip.
	loc2, err := l.Put(context.Background(), "job-r", src)
	if err != nil || loc2 != loc {
		t.Fatalf("retry: %q, %v; want %q", loc2, err, loc)
	}

	// A source that is back replaces the earlier zip.
	src = makeJobDir(t, parent, "job-r")
	if err := os.WriteFile(filepath.Join(src, "stdout"), []byte("second\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	loc3, fsys := putZip(t, l, "job-r", src)
	if loc3 != loc {
		t.Fatalf("location %q, want %q", loc3, loc)
	}
	if b, err := fs.ReadFile(fsys, "stdout"); err != nil || string(b) != "second\n" {
		t.Fatalf("stdout %q, %v", b, err)
	}
	if names := rootNames(t, l); !slices.Equal(names, []string{"job-r.zip"}) {
		t.Fatalf("root holds %v", names)
	}
}

func TestZipAndDirectoryReplaceEachOther(t *testing.T) {
	l := newStore(t)
	sameDevice := l.rename
	parent := t.TempDir()
	ctx := context.Background()

	// A directory archive, then the same job put again from another file
	// system: only the zip is left, and a retry finds it.
	if _, err := l.Put(ctx, "job-d", makeJobDir(t, parent, "job-d")); err != nil {
		t.Fatal(err)
	}
	crossDevice(l)
	src := makeJobDir(t, parent, "job-d")
	loc, _ := putZip(t, l, "job-d", src)
	if names := rootNames(t, l); !slices.Equal(names, []string{"job-d.zip"}) {
		t.Fatalf("root holds %v", names)
	}
	if again, err := l.Put(ctx, "job-d", src); err != nil || again != loc {
		t.Fatalf("retry: %q, %v; want %q", again, err, loc)
	}

	// And back: a directory replaces the zip.
	l.rename = sameDevice
	loc, err := l.Put(ctx, "job-d", makeJobDir(t, parent, "job-d"))
	if err != nil {
		t.Fatal(err)
	}
	if want := Location(filepath.Join(l.Root(), "job-d")); loc != want {
		t.Fatalf("location %q, want %q", loc, want)
	}
	if names := rootNames(t, l); !slices.Equal(names, []string{"job-d"}) {
		t.Fatalf("root holds %v", names)
	}
}

func TestZipSkipsLinksAndSpecialFiles(t *testing.T) {
	l := newStore(t)
	crossDevice(l)
	src := makeJobDir(t, t.TempDir(), "job-s")
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("not job output"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"out-link":        "stdout",
		"secret-link":     outside,
		"dir-link":        "genie",
		"genie/dead-link": "nowhere",
	} {
		if err := os.Symlink(target, filepath.Join(src, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, fsys := putZip(t, l, "job-s", src)
	for _, name := range []string{"out-link", "secret-link", "dir-link", "genie/dead-link", "fifo"} {
		if _, err := fs.Stat(fsys, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v, want fs.ErrNotExist", name, err)
		}
	}
	m, err := ReadManifest(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m.Entries {
		if strings.Contains(e.Path, "link") || e.Path == "fifo" {
			t.Errorf("manifest lists %s", e.Path)
		}
	}
	if b, err := fs.ReadFile(fsys, "stdout"); err != nil || string(b) != "hello\n" {
		t.Fatalf("stdout %q, %v", b, err)
	}
}

func TestZipAddsManifestDirectory(t *testing.T) {
	l := newStore(t)
	crossDevice(l)
	src := filepath.Join(t.TempDir(), "job-g")
	for _, name := range []string{"a", "gen/x", "genie-notes", "stdout", "z/y"} {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, fsys := putZip(t, l, "job-g", src)
	m, err := ReadManifest(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, e := range m.Entries {
		listed = append(listed, e.Path)
	}
	// Where a directory archive's manifest, after Put made genie/, has it.
	want := []string{"a", "gen", "gen/x", "genie", "genie-notes", "stdout", "z", "z/y"}
	if !slices.Equal(listed, want) {
		t.Fatalf("manifest lists %v, want %v", listed, want)
	}
	if info, err := fs.Stat(fsys, "genie"); err != nil || !info.IsDir() {
		t.Fatalf("genie: %v, %v", info, err)
	}
}

func TestZipNoDescriptorLeak(t *testing.T) {
	l := newStore(t)
	crossDevice(l)
	_, fsys := putZip(t, l, "job-fd", makeJobDir(t, t.TempDir(), "job-fd"))
	countFDs := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal("count open files in /proc/self/fd:", err)
		}
		return len(entries)
	}
	before := countFDs()
	for i := range 1000 {
		name := []string{"stdout", "genie", ".", "genie/job/config/a"}[i%4]
		f, err := fsys.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Stat(); err != nil {
			t.Fatal(err)
		}
		if d, ok := f.(fs.ReadDirFile); ok {
			if _, err := d.ReadDir(-1); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.Read(make([]byte, 16)); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		// Failed opens must not keep the zip open either.
		if _, err := fsys.Open("missing"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("missing: %v", err)
		}
	}
	if after := countFDs(); after > before {
		t.Fatalf("%d descriptors open after, %d before", after, before)
	}
}

func TestZipMissingAndInvalid(t *testing.T) {
	l := newStore(t)
	ctx := context.Background()
	if _, err := l.Open(ctx, Location(filepath.Join(l.Root(), "nope.zip"))); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing zip: %v, want fs.ErrNotExist", err)
	}

	crossDevice(l)
	loc, fsys := putZip(t, l, "job-m", makeJobDir(t, t.TempDir(), "job-m"))
	for _, name := range []string{"nope", "genie/nope", "stdout/x"} {
		_, err := fsys.Open(name)
		var pe *fs.PathError
		if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
			t.Errorf("open %s: %v, want a PathError wrapping fs.ErrNotExist", name, err)
		}
	}
	for _, name := range []string{"/stdout", "./stdout", "genie/", "../x", ""} {
		if _, err := fsys.Open(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("open %q: %v, want fs.ErrInvalid", name, err)
		}
	}

	// A zip removed under an open file system reads as missing.
	path := filepath.Join(l.Root(), "job-m.zip")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Open("stdout"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open in removed zip: %v, want fs.ErrNotExist", err)
	}
	if _, err := l.Open(ctx, loc); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open removed zip: %v, want fs.ErrNotExist", err)
	}

	// A damaged zip is an error, not a missing archive.
	if err := os.WriteFile(path, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Open(ctx, loc); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open damaged zip: %v", err)
	}
}

func TestZipCancelled(t *testing.T) {
	l := newStore(t)
	crossDevice(l)
	src := makeJobDir(t, t.TempDir(), "job-c")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Put(ctx, "job-c", src); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put: %v", err)
	}
	if _, err := os.Stat(filepath.Join(src, "stdout")); err != nil {
		t.Fatalf("cancelled put touched the source: %v", err)
	}
	if _, err := os.Stat(filepath.Join(src, ManifestPath)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("manifest written into the source: %v", err)
	}
	if names := rootNames(t, l); len(names) != 0 {
		t.Fatalf("root holds %v after a cancelled put", names)
	}
}

// A job whose id ends in ".zip" must not be mistaken for, or destroyed by,
// the zip of another job.
func TestZipNameCollision(t *testing.T) {
	l := newStore(t)
	parent := t.TempDir()
	ctx := context.Background()
	loc, err := l.Put(ctx, "job-x.zip", makeJobDir(t, parent, "job-x.zip"))
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := l.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, ManifestPath); err != nil {
		t.Fatal(err)
	}
	crossDevice(l)
	if _, err := l.Put(ctx, "job-x", makeJobDir(t, parent, "job-x")); err == nil {
		t.Fatal("zip of job-x replaced the directory of job job-x.zip")
	}
	if b, err := os.ReadFile(filepath.Join(l.Root(), "job-x.zip", "stdout")); err != nil || string(b) != "hello\n" {
		t.Fatalf("job-x.zip after the collision: %q, %v", b, err)
	}
	if names := rootNames(t, l); !slices.Equal(names, []string{"job-x.zip"}) {
		t.Fatalf("root holds %v", names)
	}
}
