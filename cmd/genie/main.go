// Command genie runs a genie node and is the command-line client of the genie REST API.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/cli"
)

// buildVersion is set at link time with -ldflags "-X main.buildVersion=...".
var buildVersion = "dev"

func main() {
	ui := &cli.BasicUi{Reader: os.Stdin, Writer: os.Stdout, ErrorWriter: os.Stderr}
	os.Exit(Run(os.Args[1:], ui))
}

// Run runs the command args name, talking to the user through ui, and
// returns the exit code.
func Run(args []string, ui cli.Ui) int {
	var help, errs bytes.Buffer
	c := cli.NewCLI("genie", buildVersion)
	c.Args = args
	c.Commands = commands(ui)
	c.HelpWriter = &help
	c.ErrorWriter = &errs
	code, err := c.Run()
	// Help is written in pieces; pass it on whole.
	if s := strings.TrimRight(help.String(), "\n"); s != "" {
		ui.Output(s)
	}
	if s := strings.TrimRight(errs.String(), "\n"); s != "" {
		ui.Error(s)
	}
	if err != nil {
		ui.Error(fmt.Sprintf("Error: %s", err))
		return 1
	}
	return code
}
