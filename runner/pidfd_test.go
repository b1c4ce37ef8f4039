package runner

import (
	"os/exec"
	"testing"
	"time"
)

// TestPidWaiterSeesExitOfNonChild waits on a process this test is not the
// parent of, as a restarted node does.
func TestPidWaiterSeesExitOfNonChild(t *testing.T) {
	// The shell starts a sleeper and exits; the sleeper is reparented.
	fifoDir := t.TempDir()
	out, err := exec.Command("/bin/sh", "-c", `exec 0</dev/null; cd "$1" && sleep 100 >/dev/null 2>&1 & echo $!`, "sh", fifoDir).Output()
	if err != nil {
		t.Fatal(err)
	}
	pid := atoi(t, string(out))
	t.Cleanup(func() { killPid(pid) })
	w, err := openJobProcess(pid, "100")
	if err != nil {
		t.Fatal(err)
	}
	if w.file == nil {
		t.Fatal("no pidfd")
	}
	done := make(chan error, 1)
	go func() { done <- w.wait() }()
	select {
	case err := <-done:
		t.Fatalf("wait returned before the exit: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	killPid(pid)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("exit not seen")
	}
}

func TestOpenJobProcessRefusesOtherProcess(t *testing.T) {
	if _, err := openJobProcess(1, "/nonexistent/run"); err == nil {
		t.Fatal("pid 1 taken for a job")
	}
}
