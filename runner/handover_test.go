package runner

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHandOverFollowsNoLink: the hand-over gives the job everything in
// its directory, links themselves included, and nothing they point to.
func TestHandOverFollowsNoLink(t *testing.T) {
	requireRoot(t)
	dir, outside := t.TempDir(), t.TempDir()
	writeFiles(t, dir, map[string]string{"run": "", "stdout": "", "genie/cluster/c1/config/a": "", "genie/tmp/.keep": ""})
	writeFiles(t, outside, map[string]string{"file": "", "sub/file": ""})
	for name, target := range map[string]string{"leak": filepath.Join(outside, "file"), "genie/up": outside} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	id := &identity{name: "nobody", uid: DefaultJobUIDs().First, gid: nobodyUID}
	if err := handOver(dir, id); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if uid := owner(t, p); uid != id.uid {
			t.Errorf("%s belongs to uid %d", p, uid)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{outside, filepath.Join(outside, "file"), filepath.Join(outside, "sub"), filepath.Join(outside, "sub/file")} {
		if uid := owner(t, p); uid != 0 {
			t.Errorf("%s, outside the job directory, belongs to uid %d", p, uid)
		}
	}
}

// TestOutputsAreNeverOpenedThroughALink: the output files are created new,
// so a name already there, a link above all, fails staging and leaves
// what it points to alone.
func TestOutputsAreNeverOpenedThroughALink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	writeSecret(t, victim)
	if err := os.Symlink(victim, filepath.Join(dir, stdoutFile)); err != nil {
		t.Fatal(err)
	}
	j := &job{dir: dir}
	if err := createOutputs(j); err == nil {
		t.Fatal("stdout was opened through a link")
	}
	j.closeOutputs()
	if b, err := os.ReadFile(victim); err != nil || string(b) != "secret\n" {
		t.Fatalf("the link's target: %q %v", b, err)
	}
	if info, err := os.Stat(victim); err != nil || info.Mode().Perm() != 0o600 || owner(t, victim) != os.Geteuid() {
		t.Fatalf("the link's target: %v %v", info, err)
	}
}
