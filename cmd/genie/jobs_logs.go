package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/genie-cluster/genie/api"
)

// JobsLogsCommand is "genie jobs logs".
type JobsLogsCommand struct {
	Meta
}

func (c *JobsLogsCommand) Synopsis() string { return "Print a job's output" }

func (c *JobsLogsCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie jobs logs [options] ID

  Prints a job's standard output (or error).

Options:

  -f        Follow the output as it grows until the job has finished.
  -stderr   Print standard error instead of standard output.
` + globalOptions)
}

func (c *JobsLogsCommand) Run(args []string) int {
	var follow, stderr bool
	fs := c.FlagSet("jobs logs")
	fs.BoolVar(&follow, "f", false, "")
	fs.BoolVar(&stderr, "stderr", false, "")
	rest, code, ok := c.parse(fs, args, 1, 1, "genie jobs logs [options] ID")
	if !ok {
		return code
	}
	id, file := rest[0], "stdout"
	if stderr {
		file = "stderr"
	}
	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	out := rawWriter(c.UI)
	if follow {
		err = followOutput(ctx, client, id, file, out)
	} else {
		_, err = copyOutput(ctx, client, id, file, 0, out)
	}
	if err != nil {
		return c.fail(fmt.Sprintf("reading %s of job %s", file, id), err)
	}
	return 0
}

// copyOutput copies the job's file from offset to out and returns how many
// bytes it copied.
func copyOutput(ctx context.Context, c *api.Client, id, file string, offset int64, out io.Writer) (int64, error) {
	f, err := c.Jobs().OutputFile(ctx, id, file, offset)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(out, f)
}

// followOutput streams the job's file to out as the job writes it until
// the job has ended. A stream cut short (the serving node restarted, a
// proxy gave up) is taken up again from the last byte received. A server
// that sends the file as it is instead of streaming it is read again from
// the last offset as the job goes on.
func followOutput(ctx context.Context, c *api.Client, id, file string, out io.Writer) error {
	var (
		b      backoff
		offset int64
		failed int
	)
	for {
		stream, err := c.Jobs().FollowOutput(ctx, id, file, offset)
		if api.IsNotFound(err) {
			// A server that does not follow answers 404 before the job
			// has written anything.
			return pollOutput(ctx, c, id, file, offset, out)
		}
		if err == nil {
			var n int64
			n, err = io.Copy(out, stream)
			stream.Close()
			offset += n
			if n > 0 {
				failed = 0
				b.reset()
			}
			if err == nil && !stream.Live {
				return pollOutput(ctx, c, id, file, offset, out)
			}
		}
		if err == nil {
			// The stream ended: done if the job has.
			var status api.JobStatus
			if status, err = c.Jobs().Status(ctx, id); err == nil && status.Terminal() {
				return nil
			}
		}
		if err != nil && (!transient(err) || failed >= pollErrors) {
			return err
		}
		if err != nil {
			failed++
		}
		if err := b.sleep(ctx); err != nil {
			return err
		}
	}
}

// pollOutput reads the job's file from offset again and again as it grows
// until the job is finished and the file has stopped growing.
func pollOutput(ctx context.Context, c *api.Client, id, file string, offset int64, out io.Writer) error {
	var (
		b        backoff
		finished bool
		failed   int
	)
	for {
		n, err := copyOutput(ctx, c, id, file, offset, out)
		offset += n
		switch {
		case err == nil:
			failed = 0
		case api.IsNotFound(err) && !finished:
			// Not written yet: the job has not started.
		case transient(err) && failed < pollErrors:
			failed++
		default:
			return err
		}
		if n > 0 {
			b.reset()
			continue
		}
		if finished && err == nil {
			return nil
		}
		status, err := c.Jobs().Status(ctx, id)
		switch {
		case err == nil && status.Terminal():
			// Read once more: the file may have grown since the last read.
			finished = true
			continue
		case err == nil:
		case transient(err) && failed < pollErrors:
			failed++
		default:
			return err
		}
		if err := b.sleep(ctx); err != nil {
			return err
		}
	}
}
