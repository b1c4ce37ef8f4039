package transport

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/genie-cluster/genie/api"
)

// maxPageSize is Spring Data's cap, which Genie inherits.
const maxPageSize = 2000

// paging is a search's page and size, 0-based as in Spring Data.
type paging struct {
	number int
	size   int
}

func parsePaging(q url.Values, defaultSize int) (paging, error) {
	p := paging{size: defaultSize}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, invalid("page", "%q is not a page number (0 or more)", s)
		}
		p.number = n
	}
	if s := q.Get("size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, invalid("size", "%q is not a page size (1 to %d)", s, maxPageSize)
		}
		if n > maxPageSize {
			n = maxPageSize
		}
		p.size = n
	}
	return p, nil
}

// offset is the index of the page's first element.
func (p paging) offset() int {
	if p.number > (1<<31)/p.size {
		return 1 << 31
	}
	return p.number * p.size
}

// window returns the indexes of total elements that fall on this page.
func (p paging) window(total int) []int {
	start := p.offset()
	if start >= total {
		return nil
	}
	end := start + p.size
	if end > total {
		end = total
	}
	out := make([]int, 0, end-start)
	for i := start; i < end; i++ {
		out = append(out, i)
	}
	return out
}

// page builds the paged response with Genie's links: self always, first
// and last when there is more than one page, prev and next when they exist.
func (p paging) page(r *http.Request, total int, embedded *api.PageEmbedded) api.Page {
	pages := (total + p.size - 1) / p.size
	link := func(n int) api.Link {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		q.Set("size", strconv.Itoa(p.size))
		return api.Link{Href: baseURL(r) + r.URL.Path + "?" + q.Encode()}
	}
	links := api.Links{"self": link(p.number)}
	if pages > 1 {
		links["first"] = link(0)
		links["last"] = link(pages - 1)
	}
	if p.number > 0 && p.number <= pages {
		links["prev"] = link(p.number - 1)
	}
	if p.number+1 < pages {
		links["next"] = link(p.number + 1)
	}
	return api.Page{
		Embedded: embedded,
		Links:    links,
		Page:     api.PageMetadata{Size: p.size, TotalElements: int64(total), TotalPages: pages, Number: p.number},
	}
}

// millisParam reads an optional epoch-milliseconds query parameter.
func millisParam(q url.Values, name string) (int64, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, invalid(name, "%q is not a time in epoch milliseconds", s)
	}
	return v, nil
}
