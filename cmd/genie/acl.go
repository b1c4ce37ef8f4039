package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/genie-cluster/genie/api"
)

const aclHelp = `
Usage: genie acl <subcommand> [options] [args]

  Manage ACL tokens. A cluster started with -acl-enabled answers only
  requests that carry a token (-token or $GENIE_TOKEN).

    $ genie acl bootstrap
    $ genie acl token create -name alice -user alice -role user
    $ genie acl token list
    $ genie acl whoami
`

const aclTokenHelp = `
Usage: genie acl token <subcommand> [options] [args]

  Create, list, read and delete ACL tokens (an admin token is needed).

    $ genie acl token create -name ci -user etl -role user -ttl 720h
    $ genie acl token info <accessor id>
    $ genie acl token delete <accessor id>
`

// tokenFields are the lines that describe a token; the secret only when
// the answer holds it (at creation).
func tokenFields(t *api.ACLToken) [][2]string {
	expires := "never"
	if !t.ExpirationTime.IsZero() {
		expires = formatTime(t.ExpirationTime)
	}
	fields := [][2]string{{"Accessor ID", t.AccessorID}}
	if t.SecretID != "" {
		fields = append(fields, [2]string{"Secret ID", t.SecretID})
	}
	return append(fields,
		[2]string{"Name", t.Name},
		[2]string{"User", t.User},
		[2]string{"Role", t.Role},
		[2]string{"Create Time", formatTime(t.CreateTime)},
		[2]string{"Expiration Time", expires})
}

func (m *Meta) printToken(t *api.ACLToken) int {
	if m.jsonOutput {
		return m.printJSON(t)
	}
	m.printFields(tokenFields(t))
	return 0
}

// ACLBootstrapCommand is "genie acl bootstrap".
type ACLBootstrapCommand struct {
	Meta
}

func (c *ACLBootstrapCommand) Synopsis() string { return "Create the cluster's first admin token" }

func (c *ACLBootstrapCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie acl bootstrap [options]

  Creates the first admin token of a cluster with ACLs on and prints its
  secret: keep it, it is shown only now. It works once per cluster; to run
  it again (the secret was lost), write the reset index that the refusal
  names into the file acl-bootstrap-reset in a node's data dir and call it
  on that node.
` + globalOptions)
}

func (c *ACLBootstrapCommand) Run(args []string) int {
	fs := c.FlagSet("acl bootstrap")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie acl bootstrap [options]"); !ok {
		return code
	}
	var tok *api.ACLToken
	if code := c.call("bootstrapping ACLs", func(ctx context.Context, client *api.Client) (err error) {
		tok, err = client.ACL().Bootstrap(ctx)
		return err
	}); code != 0 {
		return code
	}
	return c.printToken(tok)
}

// ACLTokenCreateCommand is "genie acl token create".
type ACLTokenCreateCommand struct {
	Meta
}

func (c *ACLTokenCreateCommand) Synopsis() string { return "Create an ACL token" }

func (c *ACLTokenCreateCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie acl token create [options] -name NAME -user USER -role ROLE

  Creates a token and prints its secret, shown only now.

Options:

  -name=<name>   What the token is for.
  -user=<user>   The user the token acts as: jobs submitted with it run as
                 this user, and it reads and kills this user's jobs.
  -role=<role>   admin (everything), user (submit jobs, read records, read
                 and kill its own jobs) or readonly (read records).
  -ttl=<dur>     Lifetime, such as 720h; the token never expires without it.
` + globalOptions)
}

func (c *ACLTokenCreateCommand) Run(args []string) int {
	var req api.ACLTokenCreateRequest
	fs := c.FlagSet("acl token create")
	fs.StringVar(&req.Name, "name", "", "")
	fs.StringVar(&req.User, "user", "", "")
	fs.StringVar(&req.Role, "role", "", "")
	fs.StringVar(&req.TTL, "ttl", "", "")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie acl token create [options] -name NAME -user USER -role ROLE"); !ok {
		return code
	}
	var tok *api.ACLToken
	if code := c.call("creating token", func(ctx context.Context, client *api.Client) (err error) {
		tok, err = client.ACL().CreateToken(ctx, &req)
		return err
	}); code != 0 {
		return code
	}
	return c.printToken(tok)
}

// ACLTokenListCommand is "genie acl token list".
type ACLTokenListCommand struct {
	Meta
}

func (c *ACLTokenListCommand) Synopsis() string { return "List ACL tokens" }

func (c *ACLTokenListCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie acl token list [options]

  Lists every token, without secrets.
` + globalOptions)
}

func (c *ACLTokenListCommand) Run(args []string) int {
	fs := c.FlagSet("acl token list")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie acl token list [options]"); !ok {
		return code
	}
	var list []api.ACLToken
	if code := c.call("listing tokens", func(ctx context.Context, client *api.Client) (err error) {
		list, err = client.ACL().ListTokens(ctx)
		return err
	}); code != 0 {
		return code
	}
	if c.jsonOutput {
		return c.printJSON(list)
	}
	rows := make([][]string, 0, len(list))
	for _, t := range list {
		expires := "never"
		if !t.ExpirationTime.IsZero() {
			expires = formatTime(t.ExpirationTime)
		}
		rows = append(rows, []string{t.AccessorID, t.Name, t.User, t.Role, expires})
	}
	c.printTable([]string{"ACCESSOR ID", "NAME", "USER", "ROLE", "EXPIRES"}, rows)
	return 0
}

// ACLTokenInfoCommand is "genie acl token info".
type ACLTokenInfoCommand struct {
	Meta
}

func (c *ACLTokenInfoCommand) Synopsis() string { return "Show an ACL token" }

func (c *ACLTokenInfoCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie acl token info [options] ACCESSOR_ID

  Shows a token, without its secret.
` + globalOptions)
}

func (c *ACLTokenInfoCommand) Run(args []string) int {
	fs := c.FlagSet("acl token info")
	rest, code, ok := c.parse(fs, args, 1, 1, "genie acl token info [options] ACCESSOR_ID")
	if !ok {
		return code
	}
	var tok *api.ACLToken
	if code := c.call("reading token", func(ctx context.Context, client *api.Client) (err error) {
		tok, err = client.ACL().Token(ctx, rest[0])
		return err
	}); code != 0 {
		return code
	}
	return c.printToken(tok)
}

// ACLTokenDeleteCommand is "genie acl token delete".
type ACLTokenDeleteCommand struct {
	Meta
}

func (c *ACLTokenDeleteCommand) Synopsis() string { return "Delete an ACL token" }

func (c *ACLTokenDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie acl token delete [options] ACCESSOR_ID

  Deletes a token: requests with its secret are refused from then on.
` + globalOptions)
}

func (c *ACLTokenDeleteCommand) Run(args []string) int {
	fs := c.FlagSet("acl token delete")
	rest, code, ok := c.parse(fs, args, 1, 1, "genie acl token delete [options] ACCESSOR_ID")
	if !ok {
		return code
	}
	if code := c.call("deleting token", func(ctx context.Context, client *api.Client) error {
		return client.ACL().DeleteToken(ctx, rest[0])
	}); code != 0 {
		return code
	}
	if !c.jsonOutput {
		c.UI.Output(fmt.Sprintf("Deleted token %s", rest[0]))
	}
	return 0
}

// ACLWhoamiCommand is "genie acl whoami".
type ACLWhoamiCommand struct {
	Meta
}

func (c *ACLWhoamiCommand) Synopsis() string { return "Show the token this client sends" }

func (c *ACLWhoamiCommand) Help() string {
	return strings.TrimSpace(`
Usage: genie acl whoami [options]

  Shows the token sent with -token or $GENIE_TOKEN: its user and role.
` + globalOptions)
}

func (c *ACLWhoamiCommand) Run(args []string) int {
	fs := c.FlagSet("acl whoami")
	if _, code, ok := c.parse(fs, args, 0, 0, "genie acl whoami [options]"); !ok {
		return code
	}
	var tok *api.ACLToken
	if code := c.call("reading token", func(ctx context.Context, client *api.Client) (err error) {
		tok, err = client.ACL().Self(ctx)
		return err
	}); code != 0 {
		return code
	}
	return c.printToken(tok)
}
