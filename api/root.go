package api

import "context"

// Root is the answer to GET /api/v3: a description and links to the
// resource collections.
type Root struct {
	Description string `json:"description"`
	Links       Links  `json:"_links,omitempty"`
}

// Root returns the API's root resource.
func (c *Client) Root(ctx context.Context) (*Root, error) {
	var out Root
	if err := c.get(ctx, "/api/v3", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
