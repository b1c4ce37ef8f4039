package node

import (
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/internal/s3test"
)

func TestJobStagesDependenciesFromS3(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	s3c := srv.Client(t)
	srv.Put(t, s3c, "deps", "scripts/greet.sh", []byte("echo hello from s3\n"))
	n := MakeNode(t, func(cfg *Config) { cfg.S3 = srv.Config() })
	c := client(t, n)
	register(t, c)

	req := shellJob("sh greet.sh")
	req.Dependencies = []string{"s3://deps/scripts/greet.sh"}
	id := submit(t, c, req)
	waitStatus(t, c, id, api.JobStatusSucceeded, 30*time.Second)
	waitFor(t, 30*time.Second, "the archive", func() bool { return archivedOn(n, id) })
	if out := readOutput(t, c, id, "stdout"); out != "hello from s3\n" {
		t.Fatalf("stdout %q", out)
	}
	// The archive leaves the cached dependency out and lists it.
	if out := readOutput(t, c, id, "genie/cached-dependencies"); out != "greet.sh\n" {
		t.Fatalf("cached-dependencies %q", out)
	}
	if _, err := c.Jobs().OutputFile(t.Context(), id, "greet.sh", 0); !api.IsNotFound(err) {
		t.Fatalf("the cached dependency is in the archive: %v", err)
	}
	// The second job takes it from the node's cache.
	id = submit(t, c, req)
	waitStatus(t, c, id, api.JobStatusSucceeded, 30*time.Second)
	if m := metricsText(t, n); !strings.Contains(m, `genie_s3_fetches_total{cache="hit"} 1`) || !strings.Contains(m, `genie_s3_fetches_total{cache="miss"} 1`) {
		t.Fatalf("cache metrics:\n%s", grepLines(m, "s3_fetches"))
	}

	// A missing bucket fails the job at INIT with a reason naming the URI.
	req.Dependencies = []string{"s3://no-such-bucket/greet.sh"}
	id = submit(t, c, req)
	j := waitStatus(t, c, id, api.JobStatusFailed, 30*time.Second)
	if !strings.Contains(j.StatusMsg, "s3://no-such-bucket/greet.sh") || !strings.Contains(j.StatusMsg, "setup") {
		t.Fatalf("status message %q does not name the URI", j.StatusMsg)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestOutputFromTheS3ArchiveAfterItsNodeIsGone(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	srv.Put(t, srv.Client(t), "archive", "README", []byte("genie archives"))
	srv.Put(t, srv.Client(t), "deps", "gen.sh", []byte("echo archived output\n"))
	c := MakeCluster(t, 3, func(_ int, cfg *Config) {
		cfg.S3 = srv.Config()
		cfg.ArchiveS3 = "s3://archive/jobs"
	})
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	victim := c.Followers()[0]
	waitFor(t, 10*time.Second, "the registry on "+victim.Name(), func() bool { return victim.State().Command("sh") != nil })

	// The whole path: a dependency from S3, the output archived to S3, the
	// node gone, the output read through another node.
	var id string
	for i := 0; i < 60 && id == ""; i++ {
		req := shellJob("sh gen.sh; echo to stderr >&2")
		req.Dependencies = []string{"s3://deps/gen.sh"}
		got := submit(t, client(t, victim), req)
		if j := submittedJob(victim, got); j != nil && j.Node == victim.ID() {
			id = got
		}
	}
	if id == "" {
		t.Fatal("no submission landed on " + victim.Name())
	}
	waitStatus(t, client(t, victim), id, api.JobStatusSucceeded, 30*time.Second)
	var reader *Node
	for _, n := range c.Nodes {
		if n != victim {
			reader = n
		}
	}
	waitFor(t, 30*time.Second, "the archive", func() bool { return archivedOn(reader, id) })
	if loc := leader.State().Job(id).ArchiveLocation; loc != "s3://archive/jobs/"+id+"/" {
		t.Fatalf("archive location %q", loc)
	}
	victim.Shutdown()

	other := client(t, reader)
	if out := readOutput(t, other, id, "stdout"); out != "archived output\n" {
		t.Fatalf("stdout from the archive: %q", out)
	}
	if out := readOutput(t, other, id, "stderr"); out != "to stderr\n" {
		t.Fatalf("stderr from the archive: %q", out)
	}
	listing, err := other.Jobs().OutputListing(t.Context(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range listing.Files {
		names[f.Name] = true
	}
	for _, want := range []string{"stdout", "stderr", "run"} {
		if !names[want] {
			t.Fatalf("listing %+v lacks %s", listing, want)
		}
	}
}

func TestAttachmentsStagedIntoTheJobDirectory(t *testing.T) {
	n := MakeNode(t, nil)
	c := client(t, n)
	register(t, c)
	id, err := c.Jobs().SubmitWithAttachments(t.Context(), shellJob("cat query.sql; sh udf.sh"), []api.Attachment{
		{Name: "query.sql", Content: strings.NewReader("select 1;\n")},
		{Name: "udf.sh", Content: strings.NewReader("echo from udf\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, id, api.JobStatusSucceeded, 30*time.Second)
	waitFor(t, 30*time.Second, "the archive", func() bool { return archivedOn(n, id) })
	if out := readOutput(t, c, id, "stdout"); out != "select 1;\nfrom udf\n" {
		t.Fatalf("stdout %q", out)
	}
	meta, err := c.Jobs().Metadata(t.Context(), id)
	if err != nil || *meta.NumAttachments != 2 || *meta.TotalSizeOfAttachments != int64(len("select 1;\n")+len("echo from udf\n")) {
		t.Fatalf("metadata %+v, %v", meta, err)
	}
}

func TestAttachmentsInS3RunOnAnyNode(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	srv.Put(t, srv.Client(t), "genie", "README", []byte("genie"))
	c := MakeCluster(t, 3, func(_ int, cfg *Config) {
		cfg.S3 = srv.Config()
		cfg.ArchiveS3 = "s3://genie/archive"
	})
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	entry := c.Followers()[0]
	waitFor(t, 10*time.Second, "the registry on "+entry.Name(), func() bool { return entry.State().Command("sh") != nil })
	ec := client(t, entry)
	// Submissions with attachments in S3 are placed like any other: some
	// land on other nodes, which stage the files from S3.
	elsewhere := ""
	for i := 0; i < 30 && elsewhere == ""; i++ {
		id, err := ec.Jobs().SubmitWithAttachments(t.Context(), shellJob("cat note.txt"), []api.Attachment{
			{Name: "note.txt", Content: strings.NewReader("attached\n")},
		})
		if err != nil {
			t.Fatal(err)
		}
		// A job placed on a peer reaches this replica a moment later.
		waitFor(t, 10*time.Second, "job "+id+" on "+entry.Name(), func() bool { return entry.State().Job(id) != nil })
		if j := entry.State().Job(id); j.Node != entry.ID() {
			elsewhere = id
			if !strings.HasPrefix(j.Request.Dependencies[0], "s3://genie/archive/attachments/"+id+"/") {
				t.Fatalf("attachment stored at %v", j.Request.Dependencies)
			}
		}
	}
	if elsewhere == "" {
		t.Fatal("no submission with attachments was placed on another node")
	}
	waitStatus(t, ec, elsewhere, api.JobStatusSucceeded, 30*time.Second)
	waitFor(t, 30*time.Second, "the archive", func() bool { return archivedOn(entry, elsewhere) })
	if out := readOutput(t, ec, elsewhere, "stdout"); out != "attached\n" {
		t.Fatalf("stdout %q", out)
	}
}
