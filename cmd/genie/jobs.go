package main

import (
	"fmt"
	"strings"

	"github.com/genie-cluster/genie/api"
)

const jobsHelp = `
Usage: genie jobs <subcommand> [options] [args]

  Submit jobs, follow them and their output, and kill them.

    $ genie jobs submit -cluster-tag sched:adhoc -command-tag type:shell -wait -- echo hello
    $ genie jobs list -status RUNNING
    $ genie jobs logs -f <id>
`

// printStatusChange prints a job's new status as submit -wait and wait do.
func (m *Meta) printStatusChange(job *api.Job) {
	if m.jsonOutput {
		m.printJSON(map[string]any{"id": job.ID, "status": job.Status, "statusMsg": job.StatusMsg})
		return
	}
	m.UI.Info(strings.TrimSpace(fmt.Sprintf("%-9s %s", job.Status, job.StatusMsg)))
}
