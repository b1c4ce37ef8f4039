package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/genie-cluster/genie/api"
)

// OperatorLimitsCommand is "genie operator limits".
type OperatorLimitsCommand struct {
	Meta
}

func (c *OperatorLimitsCommand) Synopsis() string { return "Show the cluster's per-user limits" }

func (c *OperatorLimitsCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie operator limits [options]

  Shows the most unfinished jobs (ACCEPTED, INIT, RUNNING) a user may hold:
  the default for every user and the users with their own limit. A
  submission past it is answered 429.

    $ genie operator limits set -user-active 20
    $ genie operator limits set -user-active 100 -user etl
` + globalOptions)
}

func (c *OperatorLimitsCommand) Run(args []string) int {
	fs := c.FlagSet("operator limits")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie operator limits [options]"); !ok {
		return code
	}
	var l *api.Limits
	if code := c.call("reading limits", func(ctx context.Context, client *api.Client) (err error) {
		l, err = client.Operator().Limits(ctx)
		return err
	}); code != 0 {
		return code
	}
	return c.printLimits(l)
}

func (m *Meta) printLimits(l *api.Limits) int {
	if m.jsonOutput {
		return m.printJSON(l)
	}
	limit := func(n int) string {
		if n <= 0 {
			return "none"
		}
		return strconv.Itoa(n)
	}
	rows := [][]string{{"(every user)", limit(l.UserActive)}}
	users := make([]string, 0, len(l.Users))
	for u := range l.Users {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		rows = append(rows, []string{u, limit(l.Users[u])})
	}
	m.printTable([]string{"USER", "ACTIVE JOBS LIMIT"}, rows)
	return 0
}

// OperatorLimitsSetCommand is "genie operator limits set".
type OperatorLimitsSetCommand struct {
	Meta
}

func (c *OperatorLimitsSetCommand) Synopsis() string { return "Set a per-user limit" }

func (c *OperatorLimitsSetCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie operator limits set [options] -user-active N

  Sets the most unfinished jobs a user may hold: every user's default, or
  with -user that user's own limit. 0 removes the limit.

Options:

  -user-active=<n>   The limit; 0 removes it.
  -user=<user>       The user with its own limit (default: every user).
` + globalOptions)
}

func (c *OperatorLimitsSetCommand) Run(args []string) int {
	var u api.LimitsUpdate
	active := -1
	fs := c.FlagSet("operator limits set")
	fs.IntVar(&active, "user-active", -1, "")
	fs.StringVar(&u.User, "user", "", "")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie operator limits set [options] -user-active N"); !ok {
		return code
	}
	if active < 0 {
		c.UI.Error("Error: -user-active is required (0 removes the limit)")
		return 1
	}
	u.UserActive = active
	var l *api.Limits
	if code := c.call("setting limits", func(ctx context.Context, client *api.Client) (err error) {
		l, err = client.Operator().SetLimits(ctx, &u)
		return err
	}); code != 0 {
		return code
	}
	if !c.jsonOutput {
		who := "every user"
		if u.User != "" {
			who = "user " + u.User
		}
		c.UI.Output(fmt.Sprintf("Active jobs limit of %s set to %d", who, active))
	}
	return c.printLimits(l)
}
