package graphfake

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Paging, as Graph pages collections: at most the server's page size per
// answer, then an absolute @odata.nextLink with an opaque $skiptoken that
// clients follow verbatim.

// collectionPage is one page of a collection read.
type collectionPage struct {
	Context  string `json:"@odata.context"`
	Value    []any  `json:"value"`
	NextLink string `json:"@odata.nextLink,omitempty"`
}

// pageOf is the page of all that starts at offset: at most size items, each
// rendered by render, and, when more follow, the link nextLink gives for
// the offset of the next page.
func pageOf[T any](all []T, offset, size int, context string, render func(T) any, nextLink func(next int) string) collectionPage {
	offset = min(offset, len(all))
	end := min(offset+size, len(all))
	page := collectionPage{Context: context, Value: make([]any, 0, end-offset)} // never null
	for _, item := range all[offset:end] {
		page.Value = append(page.Value, render(item))
	}
	if end < len(all) {
		page.NextLink = nextLink(end)
	}
	return page
}

// nextWithQuery is the nextLink of a list at base that keeps the options
// keep of the request, as Graph's do.
func nextWithQuery(base string, query url.Values, keep ...string) func(int) string {
	return func(next int) string {
		values := url.Values{}
		for _, name := range keep {
			if v := query.Get(name); v != "" {
				values.Set(name, v)
			}
		}
		values.Set("$skiptoken", encodeSkipToken(next))
		return base + "?" + values.Encode()
	}
}

// listCollection serves one page of a collection of one entity of set:
// lookup (called with s.mu held) gives every item, or false when the entity
// does not exist. The $skiptoken is an opaque offset; nextLink is absolute
// so clients can follow it verbatim.
func (s *Server) listCollection(w http.ResponseWriter, r *http.Request, set entitySet, id, name string, lookup func() ([]any, bool)) {
	offset, e := skipToken(r.URL.Query())
	if e != nil {
		s.writeGraphError(w, r, e)
		return
	}
	s.mu.Lock()
	all, ok := lookup()
	pageSize := s.pageSize
	s.mu.Unlock()
	if !ok {
		s.writeNotFound(w, r)
		return
	}
	base := s.collectionURL(set, id, name)
	writeGraphJSON(w, http.StatusOK, pageOf(all, offset, pageSize, s.collectionContext(set, id, name), itself,
		func(next int) string { return base + "?$skiptoken=" + encodeSkipToken(next) }))
}

func itself(v any) any { return v }

// skipToken is the offset a list request's $skiptoken names (0 without one).
func skipToken(query url.Values) (int, *graphError) {
	offset, err := decodeSkipToken(query.Get("$skiptoken"))
	if err != nil {
		return 0, odataBadRequest("The $skiptoken value is invalid.")
	}
	return offset, nil
}

func encodeSkipToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeSkipToken(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(string(raw), "offset:")
	if !ok {
		return 0, fmt.Errorf("malformed skiptoken")
	}
	offset, err := strconv.Atoi(n)
	if err != nil || offset < 0 {
		return 0, fmt.Errorf("malformed skiptoken")
	}
	return offset, nil
}
