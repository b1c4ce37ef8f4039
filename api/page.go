package api

// Link is one HAL link. Templated links carry RFC 6570 parameters such as
// ".../commands{?status}".
type Link struct {
	Href      string `json:"href"`
	Templated bool   `json:"templated,omitempty"`
}

// Links is a HAL "_links" object, keyed by relation ("self", "next", ...).
type Links map[string]Link

// Page is one page of a search: the matching resources, links to the
// neighbouring pages and where this page lies in the whole result.
type Page struct {
	Embedded *PageEmbedded `json:"_embedded,omitempty"`
	Links    Links         `json:"_links"`
	Page     PageMetadata  `json:"page"`
}

// PageEmbedded holds a page's resources under the key of their kind; only
// one list is set.
type PageEmbedded struct {
	Clusters     []Cluster         `json:"clusterList,omitempty"`
	Commands     []Command         `json:"commandList,omitempty"`
	Applications []Application     `json:"applicationList,omitempty"`
	Jobs         []JobSearchResult `json:"jobSearchResultList,omitempty"`
}

// PageMetadata says where a page lies in the whole result. Number is 0-based.
type PageMetadata struct {
	Size          int   `json:"size"`
	TotalElements int64 `json:"totalElements"`
	TotalPages    int   `json:"totalPages"`
	Number        int   `json:"number"`
}

// MarshalJSON omits "_embedded" when the page holds nothing and writes nil
// links as {}.
func (p Page) MarshalJSON() ([]byte, error) {
	if e := p.Embedded; e != nil &&
		len(e.Clusters)+len(e.Commands)+len(e.Applications)+len(e.Jobs) == 0 {
		p.Embedded = nil
	}
	return marshalObject(p)
}
