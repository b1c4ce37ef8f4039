package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/genie-cluster/genie/api"
)

// JobsSubmitCommand is "genie jobs submit".
type JobsSubmitCommand struct {
	Meta
}

func (c *JobsSubmitCommand) Synopsis() string { return "Submit a job" }

func (c *JobsSubmitCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie jobs submit [options] [--] [ARGS...]

  Submits a job and prints its id. ARGS are passed to the command's
  executable, each as one argument (commandArguments). The job runs on the
  first cluster matching the -cluster-tag tags that the command chosen by
  -command-tag accepts.

  With -wait, prints each status change and exits with the job's exit code:
  0 when it succeeded, 2 when it was invalid, else its process's exit code
  (1 when there is none).

    $ genie jobs submit -wait -- echo hello

Options:

  -name=<name>            Job name. Defaults to the first argument's base name.
  -user=<user>            User the job runs as. With an ACL token, the token's
                          user (only an admin token may name another); without
                          one, $USER, or "genie".
  -version=<version>      Job version. Defaults to "1.0".
  -description=<text>     Job description.
  -id=<id>                Client-chosen id; resubmitting it is idempotent.
  -cluster-tag=<tag>      A tag the cluster must have; repeat for more tags
                          (all in one criterion). Defaults to sched:adhoc.
  -command-tag=<tag>      A tag the command must have; repeatable.
                          Defaults to type:shell.
  -application=<id>       An application to use instead of the command's;
                          repeatable, in order.
  -timeout=<seconds>      Kill the job after this long.
  -memory=<MB>            Memory the job needs.
  -config=<uri>           A configuration file to stage; repeatable.
  -dependency=<uri>       A dependency file to stage; repeatable.
  -attach=<path>          A local file sent with the job and staged in its
                          directory under its own name; repeatable.
  -setup-file=<uri>       A script sourced before the job runs.
  -tag=<tag>              A tag for the job; repeatable.
  -grouping=<name>        Grouping, such as the scheduler job.
  -grouping-instance=<id> Grouping instance, such as the scheduler run.
  -wait                   Wait for the job to finish.
` + globalOptions)
}

func (c *JobsSubmitCommand) Run(args []string) int {
	var (
		req                                 api.JobRequest
		clusterTags, commandTags, tags      stringsFlag
		applications, configs, dependencies stringsFlag
		timeout, memory                     int
		wait                                bool
	)
	fs := c.FlagSet("jobs submit")
	fs.StringVar(&req.Name, "name", "", "")
	fs.StringVar(&req.User, "user", "", "")
	fs.StringVar(&req.Version, "version", "1.0", "")
	fs.StringVar(&req.Description, "description", "", "")
	fs.StringVar(&req.ID, "id", "", "")
	fs.Var(&clusterTags, "cluster-tag", "")
	fs.Var(&commandTags, "command-tag", "")
	fs.Var(&applications, "application", "")
	fs.IntVar(&timeout, "timeout", 0, "")
	fs.IntVar(&memory, "memory", 0, "")
	fs.Var(&configs, "config", "")
	fs.Var(&dependencies, "dependency", "")
	var attachments stringsFlag
	fs.Var(&attachments, "attach", "")
	fs.StringVar(&req.SetupFile, "setup-file", "", "")
	fs.Var(&tags, "tag", "")
	fs.StringVar(&req.Grouping, "grouping", "", "")
	fs.StringVar(&req.GroupingInstance, "grouping-instance", "", "")
	fs.BoolVar(&wait, "wait", false, "")
	argv, code, ok := c.parse(fs, args, 0, -1, "genie jobs submit [options] [--] [ARGS...]")
	if ok && req.User == "" && !c.hasToken() {
		req.User = defaultUser()
	}
	if !ok {
		return code
	}

	if len(clusterTags) == 0 {
		clusterTags = stringsFlag{"sched:adhoc"}
	}
	if len(commandTags) == 0 {
		commandTags = stringsFlag{"type:shell"}
	}
	if req.Name == "" {
		req.Name = defaultJobName(argv)
	}
	req.ClusterCriterias = []api.ClusterCriteria{{Tags: clusterTags}}
	req.CommandCriteria = commandTags
	if len(argv) > 0 {
		req.CommandArguments = argv
	}
	req.Tags, req.Applications = tags, applications
	req.Configs, req.Dependencies = configs, dependencies
	if timeout > 0 {
		req.Timeout = &timeout
	}
	if memory > 0 {
		req.Memory = &memory
	}

	client, ctx, cancel, err := c.setup()
	if err != nil {
		return c.fail("creating client", err)
	}
	defer cancel()
	var id string
	if len(attachments) > 0 {
		files := make([]api.Attachment, 0, len(attachments))
		for _, p := range attachments {
			f, err := os.Open(p)
			if err != nil {
				return c.fail("attaching "+p, err)
			}
			defer f.Close()
			files = append(files, api.Attachment{Name: filepath.Base(p), Content: f})
		}
		id, err = client.Jobs().SubmitWithAttachments(ctx, &req, files)
	} else {
		id, err = client.Jobs().Submit(ctx, &req)
	}
	if err != nil {
		return c.fail("submitting job", err)
	}
	if c.jsonOutput {
		c.printJSON(map[string]string{"id": id})
	} else {
		c.UI.Output(id)
	}
	if !wait {
		return 0
	}
	job, err := waitForJob(ctx, client, id, c.printStatusChange)
	if err != nil {
		return c.fail("waiting for job "+id, err)
	}
	return exitCodeOf(ctx, client, job)
}

// defaultUser is $USER, or "genie".
func defaultUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "genie"
}

// defaultJobName names a job after the program its first argument names.
func defaultJobName(argv []string) string {
	if len(argv) > 0 {
		if f := strings.Fields(argv[0]); len(f) > 0 && !strings.HasPrefix(f[0], "-") {
			return filepath.Base(f[0])
		}
	}
	return "genie-job"
}
