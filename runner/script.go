package runner

import (
	"path/filepath"
	"strconv"
	"strings"
)

// quote makes s one word for a POSIX shell: inside single quotes nothing is
// special but the single quote itself, which is closed, escaped and reopened.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// jobEnv is what the run script exports, in order.
func jobEnv(dir string, spec Spec, nodeName string) [][2]string {
	job, req := spec.Job, &spec.Job.Request
	env := [][2]string{
		{"GENIE_JOB_ID", job.ID},
		{"GENIE_JOB_NAME", req.Name},
		{"GENIE_JOB_DIR", dir},
		{"GENIE_USER", req.User},
		{"GENIE_USER_GROUP", req.Group},
		{"GENIE_VERSION", req.Version},
		{"GENIE_JOB_MEMORY", strconv.Itoa(job.Memory)},
		{"GENIE_JOB_TAGS", strings.Join(req.Tags, ",")},
		{"GENIE_JOB_GROUPING", req.Grouping},
		{"GENIE_JOB_GROUPING_INSTANCE", req.GroupingInstance},
		{"GENIE_HOST_NAME", nodeName},
		{"GENIE_REQUESTED_COMMAND_TAGS", strings.Join(req.CommandCriteria, ",")},
		{"GENIE_APPLICATION_DIR", filepath.Join(dir, genieDir, "applications")},
	}
	// Each criterion keeps its own variable so scripts can tell them apart;
	// the plain variable joins them all for the common single-criterion case.
	var all []string
	for i, c := range req.ClusterCriterias {
		all = append(all, c...)
		env = append(env, [2]string{"GENIE_REQUESTED_CLUSTER_TAGS_" + strconv.Itoa(i), strings.Join(c, ",")})
	}
	env = append(env,
		[2]string{"GENIE_REQUESTED_CLUSTER_TAGS", strings.Join(all, ",")},
		[2]string{"GENIE_REQUESTED_CLUSTER_TAGS_COUNT", strconv.Itoa(len(req.ClusterCriterias))},
	)
	if c := spec.Cluster; c != nil {
		env = append(env,
			[2]string{"GENIE_CLUSTER_ID", c.ID},
			[2]string{"GENIE_CLUSTER_NAME", c.Name},
			[2]string{"GENIE_CLUSTER_DIR", filepath.Join(dir, genieDir, "cluster", c.ID)},
		)
	}
	if c := spec.Command; c != nil {
		env = append(env,
			[2]string{"GENIE_COMMAND_ID", c.ID},
			[2]string{"GENIE_COMMAND_NAME", c.Name},
			[2]string{"GENIE_COMMAND_DIR", filepath.Join(dir, genieDir, "command", c.ID)},
		)
	}
	return env
}

// runScript writes the job as a POSIX shell script (dash and busybox sh
// run it). The script records its exit code in the job directory itself,
// so a node that restarts can learn how a job ended without having been its
// parent. Its pid needs no file: the log records it once the job runs, and
// before that a restarted node finds the script by its command line.
func runScript(dir string, spec Spec, setups []string, nodeName string) string {
	exitFile := quote(filepath.Join(dir, exitCodeFile))
	var b strings.Builder
	b.Grow(2048)
	b.WriteString("cd " + quote(dir) + " || exit\n")
	for _, kv := range jobEnv(dir, spec, nodeName) {
		b.WriteString("export " + kv[0] + "=" + quote(kv[1]) + "\n")
	}
	if len(setups) > 0 {
		// Any failing command in a setup file fails the job before the
		// command runs, and the trap still records why.
		b.WriteString("trap " + quote("echo $? >"+exitFile) + " EXIT\n")
		b.WriteString("set -e\n")
		for _, s := range setups {
			b.WriteString(". " + quote(s) + "\n")
		}
		b.WriteString("set +e\n")
		b.WriteString("trap - EXIT\n")
	}
	for i, arg := range spec.Command.Executable {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quote(arg))
	}
	req := &spec.Job.Request
	switch {
	case len(req.CommandArguments) > 0:
		for _, arg := range req.CommandArguments {
			b.WriteString(" " + quote(arg))
		}
	case req.CommandArgs != "":
		// Genie 3: the string is shell code. The blank line after it ends
		// the command even when the string ends in a backslash.
		b.WriteString(" " + req.CommandArgs + "\n")
	}
	b.WriteString("\ngenie_exit_code=$?\n")
	b.WriteString("echo \"$genie_exit_code\" >" + exitFile + "\n")
	b.WriteString("exit \"$genie_exit_code\"\n")
	return b.String()
}
