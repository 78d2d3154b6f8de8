package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
)

// writeBacksPageSize is how many write-backs a page of /me/writebacks lists.
const writeBacksPageSize = 25

// editGroupsArchiveAge is when EditGroups archives a batch: after that it
// no longer lists the batch's edits and cannot undo it.
const editGroupsArchiveAge = 365 * 24 * time.Hour

// writeBackView is one write-back as the page lists it.
type writeBackView struct {
	*jobs.WriteBack
	Wiki       string // host of the wiki it wrote to
	EditGroups string // the batch's EditGroups page; "" when there is none
	Archived   bool   // older than EditGroups keeps batches
	Undo       string // what became of undos of it; "" for none
}

// myWriteBacks lists the write-backs of the signed-in user and of their
// working groups, newest first, by keyset pages.
func (s *Server) myWriteBacks(c *gin.Context) {
	u := currentUser(c)
	ctx := c.Request.Context()
	before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
	list, err := s.store.WriteBacksFor(ctx, u.ID, max(before, 0), writeBacksPageSize+1)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := gin.H{}
	if len(list) > writeBacksPageSize {
		list = list[:writeBacksPageSize]
		data["Next"] = fmt.Sprintf("?before=%d", list[len(list)-1].Plan.ID)
	}
	if before > 0 {
		data["First"] = "/me/writebacks"
	}
	views := make([]writeBackView, 0, len(list))
	for _, wb := range list {
		v := writeBackView{WriteBack: wb, Wiki: wikiHost(parseAPIURL(wb.Template))}
		if wb.Plan.EditGroupID != "" {
			v.EditGroups = editGroupsURL(s.cfg.EditGroupsTool, wb.Plan.EditGroupID)
			v.Archived = time.Since(wb.Plan.UpdatedAt) > editGroupsArchiveAge
		}
		if v.Undo, err = s.undoState(ctx, wb.Plan.ID); err != nil {
			s.fail(c, err)
			return
		}
		views = append(views, v)
	}
	data["WriteBacks"] = views
	s.render(c, http.StatusOK, "writebacks.html", page{Nav: "writebacks", Data: data})
}

// undoState says in words what became of the undos of a write-back.
func (s *Server) undoState(ctx context.Context, planID int64) (string, error) {
	st, err := s.store.UndoStateForPlan(ctx, planID)
	if err != nil || st == nil {
		return "", err
	}
	what := "part of it"
	if st.Whole {
		what = "all of it"
	}
	c := st.Counts
	switch st.Status {
	case jobs.UndoDone:
		msg := fmt.Sprintf("undone (%s): %d items reverted", what, c.Done)
		if c.Created > 0 {
			msg += fmt.Sprintf(", %d created items listed for deletion", c.Created)
		}
		if c.Stay > 0 {
			msg += fmt.Sprintf("; %d statements stay (changed since)", c.Stay)
		}
		if c.Failed > 0 {
			msg += fmt.Sprintf("; %d items failed", c.Failed)
		}
		return msg, nil
	case jobs.UndoRunning:
		return fmt.Sprintf("being undone (%s): %d of %d items", what, c.Done+c.Nothing+c.Failed, c.Items), nil
	default:
		return fmt.Sprintf("undo of %s: %s", what, st.Status), nil
	}
}

// wikiHost names a wiki by its API's host; Wikidata when the template names
// none.
func wikiHost(api string) string {
	if api == "" {
		return "www.wikidata.org"
	}
	if u, err := url.Parse(api); err == nil && u.Host != "" {
		return u.Host
	}
	return api
}
