package store_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

func users(t *testing.T, st *store.Store, names ...string) []*jobs.User {
	t.Helper()
	var out []*jobs.User
	for i, n := range names {
		u, err := st.UpsertUser(context.Background(), &jobs.User{WikiUserID: fmt.Sprint(100 + i), Username: n})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func TestGroupMembershipRules(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		us := users(t, st, "Ann", "Ben", "Cid")
		ann, ben, cid := us[0], us[1], us[2]
		if _, err := st.CreateGroup(ctx, ann.ID, "WMSE GLAM", "", "http://sv.wikipedia.org/wiki/X"); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("http wiki page accepted: %v", err)
		}
		g, err := st.CreateGroup(ctx, ann.ID, "WMSE GLAM", "Swedish museums", "https://meta.wikimedia.org/wiki/WMSE_GLAM")
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := st.MemberRole(ctx, g.ID, ann.ID); r != jobs.RoleOwner {
			t.Fatalf("creator role %q", r)
		}
		// The last owner can neither leave nor be demoted.
		if err := st.RemoveMember(ctx, g.ID, ann.ID); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("last owner left: %v", err)
		}
		if err := st.SetMemberRole(ctx, g.ID, ann.ID, jobs.RoleMember); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("last owner demoted: %v", err)
		}
		// Invitations by username; unknown users get a sentence saying why.
		if _, err := st.AddMember(ctx, g.ID, "Nobody", jobs.RoleMember); jobs.ErrorCode(err) != jobs.EINVALID || !strings.Contains(jobs.ErrorMessage(err), "log in once") {
			t.Fatalf("unknown user: %v", err)
		}
		if _, err := st.AddMember(ctx, g.ID, "ben", jobs.RoleMember); err != nil {
			t.Fatalf("invite ben (lower case): %v", err)
		}
		if _, err := st.AddMember(ctx, g.ID, "Ben", jobs.RoleMember); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("double invite: %v", err)
		}
		if _, err := st.AddMember(ctx, g.ID, "Cid", "admin"); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("unknown role: %v", err)
		}
		// With a second owner, the first may step down and leave.
		if err := st.SetMemberRole(ctx, g.ID, ben.ID, jobs.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if err := st.SetMemberRole(ctx, g.ID, ann.ID, jobs.RoleMember); err != nil {
			t.Fatalf("demote with another owner: %v", err)
		}
		if err := st.RemoveMember(ctx, g.ID, ann.ID); err != nil {
			t.Fatalf("member leaves: %v", err)
		}
		if err := st.RemoveMember(ctx, g.ID, cid.ID); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("removing a non-member: %v", err)
		}
		ms, _ := st.Members(ctx, g.ID)
		if len(ms) != 1 || ms[0].Username != "Ben" || ms[0].Role != jobs.RoleOwner {
			t.Fatalf("members %+v", ms)
		}
		gs, _ := st.GroupsOf(ctx, ben.ID)
		if len(gs) != 1 || gs[0].MyRole != jobs.RoleOwner {
			t.Fatalf("groups of ben %+v", gs)
		}
	})
}

func TestGroupJobsAreSharedWithMembers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		us := users(t, st, "Ann", "Ben", "Cid")
		ann, ben, cid := us[0], us[1], us[2]
		g, _ := st.CreateGroup(ctx, ann.ID, "Team", "", "")
		_, _ = st.AddMember(ctx, g.ID, "Ben", jobs.RoleMember)
		own, _ := st.CreateJob(ctx, ann.ID, "Ann private", "")
		shared, _ := st.CreateJob(ctx, ann.ID, "Team job", "")
		if err := st.SetJobGroup(ctx, shared.ID, g.ID); err != nil {
			t.Fatal(err)
		}
		shared, _ = st.Job(ctx, shared.ID)
		for _, c := range []struct {
			u    *jobs.User
			j    *jobs.Job
			want bool
		}{{ann, own, true}, {ben, own, false}, {ben, shared, true}, {cid, shared, false}, {ann, shared, true}} {
			if got, err := st.CanSeeJob(ctx, c.u.ID, c.j); err != nil || got != c.want {
				t.Errorf("%s sees %q: %v (%v), want %v", c.u.Username, c.j.Title, got, err, c.want)
			}
		}
		list, _ := st.JobsVisibleTo(ctx, ben.ID, 10)
		if len(list) != 1 || list[0].ID != shared.ID {
			t.Fatalf("ben's jobs %+v", list)
		}
		list, _ = st.JobsVisibleTo(ctx, ann.ID, 10)
		if len(list) != 2 {
			t.Fatalf("ann's jobs: %d", len(list))
		}
		// Deleting the group gives the job back to its owner only.
		if err := st.DeleteGroup(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		shared, _ = st.Job(ctx, shared.ID)
		if ok, _ := st.CanSeeJob(ctx, ben.ID, shared); ok || shared.GroupID != 0 {
			t.Fatalf("job still shared after the group was deleted: %+v", shared)
		}
	})
}

const tmplV1 = `{"version":1,"languages":["en"],"type":{"qid":"Q3305213"},"columns":{"title":{"role":"label"},"artist":{"property":"P170","kind":"item"},"inv":{"property":"P217","kind":"string"}}}`

func TestTemplateLibraryVersionsAndSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		us := users(t, st, "Ann", "Ben", "Cid")
		ann, ben, cid := us[0], us[1], us[2]
		g, _ := st.CreateGroup(ctx, ann.ID, "Team", "", "")
		_, _ = st.AddMember(ctx, g.ID, "Ben", jobs.RoleMember)
		if _, err := st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: ann.ID, Name: "Broken", Visibility: jobs.VisibilityPrivate}, []byte(`{"columns":[]}`)); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("columns array accepted: %v", err)
		}
		paint, err := st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: ann.ID, Name: "Paintings 100%", Description: "Nationalmuseum paintings", Visibility: jobs.VisibilityPublic}, []byte(tmplV1))
		if err != nil {
			t.Fatal(err)
		}
		if paint.Version != 1 || paint.TypeQID != "Q3305213" || strings.Join(paint.Properties, ",") != "P170,P217" {
			t.Fatalf("saved %+v", paint)
		}
		grp, _ := st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: ann.ID, GroupID: g.ID, Name: "Team photos", Visibility: jobs.VisibilityGroup},
			[]byte(`{"columns":{"file":{"property":"P18","kind":"string"}}}`))
		priv, _ := st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: ann.ID, Name: "Ann's draft", Visibility: jobs.VisibilityPrivate},
			[]byte(`{"columns":{"name":{"role":"label"}}}`))

		// Editing makes version 2; version 1 stays as it was.
		v2body := strings.Replace(tmplV1, `"inv":{"property":"P217","kind":"string"}`, `"inv":{"property":"P217","kind":"string"},"made":{"property":"P571","kind":"time"}`, 1)
		v2, err := st.AddTemplateVersion(ctx, paint.ID, ben.ID, []byte(v2body), "add inception")
		if err != nil || v2.Version != 2 || v2.AuthorName != "Ben" {
			t.Fatalf("version 2: %+v %v", v2, err)
		}
		v1, _ := st.TemplateVersionByNumber(ctx, paint.ID, 1)
		if string(v1.Body) != tmplV1 {
			t.Fatalf("version 1 changed: %s", v1.Body)
		}
		vs, _ := st.TemplateVersions(ctx, paint.ID)
		if len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 {
			t.Fatalf("versions %+v", vs)
		}
		paint, _ = st.Template(ctx, paint.ID)
		if paint.Version != 2 || paint.VersionID != v2.ID || !strings.Contains(strings.Join(paint.Properties, ","), "P571") {
			t.Fatalf("latest %+v", paint)
		}

		names := func(ts []*jobs.JobTemplate) string {
			var n []string
			for _, t := range ts {
				n = append(n, t.Name)
			}
			sort.Strings(n)
			return strings.Join(n, "|")
		}
		for _, c := range []struct {
			who  int64
			q    store.TemplateQuery
			want string
		}{
			{ann.ID, store.TemplateQuery{}, "Ann's draft|Paintings 100%|Team photos"},
			{ben.ID, store.TemplateQuery{}, "Paintings 100%|Team photos"},
			{cid.ID, store.TemplateQuery{}, "Paintings 100%"},
			{0, store.TemplateQuery{}, "Paintings 100%"},
			{ann.ID, store.TemplateQuery{Text: "nationalMUSEUM"}, "Paintings 100%"},
			{ann.ID, store.TemplateQuery{Text: "100%"}, "Paintings 100%"},
			{ann.ID, store.TemplateQuery{Text: "_"}, ""},
			{ann.ID, store.TemplateQuery{TypeQID: "q3305213"}, "Paintings 100%"},
			{ann.ID, store.TemplateQuery{Property: "p18"}, "Team photos"},
			{ann.ID, store.TemplateQuery{Property: "P1"}, ""},
			{ben.ID, store.TemplateQuery{GroupID: g.ID}, "Team photos"},
		} {
			got, err := st.SearchTemplates(ctx, c.who, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if names(got) != c.want {
				t.Errorf("user %d search %+v: %q, want %q", c.who, c.q, names(got), c.want)
			}
		}
		for _, c := range []struct {
			u    int64
			t    *jobs.JobTemplate
			want bool
		}{{cid.ID, grp, false}, {ben.ID, grp, true}, {ben.ID, priv, false}, {0, paint, true}, {0, priv, false}} {
			if ok, _ := st.CanSeeTemplate(ctx, c.u, c.t); ok != c.want {
				t.Errorf("user %d sees %q: %v", c.u, c.t.Name, ok)
			}
		}
		// A job started from a template records the version.
		j, err := st.CreateJobFromTemplate(ctx, cid.ID, 0, "From library", "", v2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if id, _ := st.JobTemplateVersion(ctx, j.ID); id != v2.ID {
			t.Fatalf("job records version %d, want %d", id, v2.ID)
		}
	})
}

func TestShareLinks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann := users(t, st, "Ann")[0]
		j, _ := st.CreateJob(ctx, ann.ID, "Shared", "")
		token, link, err := st.CreateShareLink(ctx, j.ID, ann.ID, "for the museum", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(token) != 43 || strings.ContainsAny(token, "+/=") {
			t.Fatalf("token %q is not 32 bytes of base64url", token)
		}
		// The database holds no token, only its hash.
		var n int
		_ = st.DB().QueryRow(`SELECT COUNT(*) FROM share_links WHERE token_hash = ?`, token).Scan(&n)
		if n != 0 {
			t.Fatal("the plain token is stored")
		}
		got, _, err := st.JobForShareToken(ctx, token)
		if err != nil || got.ID != j.ID {
			t.Fatalf("open link: %v", err)
		}
		other, _, _ := st.CreateShareLink(ctx, j.ID, ann.ID, "", time.Time{})
		altered := token[:42] + "A"
		if token[42] == 'A' {
			altered = token[:42] + "B"
		}
		if _, _, err := st.JobForShareToken(ctx, altered); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("altered token: %v", err)
		}
		if err := st.RevokeShareLink(ctx, j.ID, link.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.JobForShareToken(ctx, token); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("revoked token still works: %v", err)
		}
		if _, _, err := st.JobForShareToken(ctx, other); err != nil {
			t.Fatalf("revoking one link broke another: %v", err)
		}
		if err := st.RevokeShareLink(ctx, j.ID+1, link.ID); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("revoke through another job: %v", err)
		}
		if _, _, err := st.CreateShareLink(ctx, j.ID, ann.ID, "", time.Now().Add(-time.Hour)); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("expiry in the past: %v", err)
		}
		// Expiry is against the clock: the link must work while the clock
		// says it is valid, and must not once the clock has passed it, however
		// long the machine takes in between.
		expires := time.Now().Add(time.Second)
		short, _, _ := st.CreateShareLink(ctx, j.ID, ann.ID, "", expires)
		if _, _, err := st.JobForShareToken(ctx, short); err != nil && time.Now().Before(expires) {
			t.Fatalf("before expiry: %v", err)
		}
		for time.Now().Before(expires.Add(time.Millisecond)) {
			time.Sleep(time.Until(expires) + time.Millisecond) // until the clock has passed the expiry
		}
		if _, _, err := st.JobForShareToken(ctx, short); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("expired token still works: %v", err)
		}
		links, _ := st.ShareLinks(ctx, j.ID)
		if len(links) != 3 || links[2].RevokedAt.IsZero() || links[2].LastUsed.IsZero() {
			t.Fatalf("links %+v", links)
		}
	})
}

func TestStatisticsAndShowcase(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		us := users(t, st, "Ann", "Ben")
		ann, ben := us[0], us[1]
		j, _ := reconciledJob(t, st, ann, 30) // 10 matched, 19 review, 1 none
		g, _ := st.CreateGroup(ctx, ann.ID, "Team", "", "")
		_ = st.SetJobGroup(ctx, j.ID, g.ID)
		if _, err := st.Decide(ctx, j.ID, 1, jobs.DecisionAccept, "Q1", ann.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, _ = st.Decide(ctx, j.ID, 2, jobs.DecisionReject, "", ben.ID, 0)
		_, _ = st.Decide(ctx, j.ID, 3, jobs.DecisionReject, "", ben.ID, 0) // overrules a match
		d, _ := st.Decide(ctx, j.ID, 4, jobs.DecisionNew, "", ben.ID, 0)
		_ = st.Undo(ctx, j.ID, 4, ben.ID, d.Version)
		for _, get := range []func() (jobs.Statistics, error){
			func() (jobs.Statistics, error) { return st.JobStatistics(ctx, j.ID) },
			func() (jobs.Statistics, error) { return st.GroupStatistics(ctx, g.ID) },
			func() (jobs.Statistics, error) { return st.ToolStatistics(ctx) },
		} {
			s, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if s.Jobs != 1 || s.Rows != 30 || s.Matched+s.Review+s.None != 30 || s.None != 1 {
				t.Fatalf("sums %+v", s)
			}
			// 10 matched, one of them (row 3) rejected, plus row 1 accepted.
			if s.Linked != s.Matched-1+1 || s.Decisions[jobs.DecisionReject] != 2 || s.Decisions[jobs.DecisionNew] != 0 {
				t.Fatalf("decisions %+v linked %d", s.Decisions, s.Linked)
			}
			if len(s.Reviewers) != 2 || s.Reviewers[0].Username != "Ben" || s.Reviewers[0].Decisions != 3 || s.DecisionsTaken() != 4 {
				t.Fatalf("reviewers %+v", s.Reviewers)
			}
		}
		empty, _ := st.GroupStatistics(ctx, g.ID+100)
		if empty.Jobs != 0 || empty.Rows != 0 || len(empty.Reviewers) != 0 {
			t.Fatalf("empty group %+v", empty)
		}

		priv, _ := st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: ann.ID, Name: "T", Visibility: jobs.VisibilityPrivate}, []byte(tmplV1))
		cs := &jobs.CaseStudy{JobID: j.ID, OwnerID: ann.ID, Title: "Paintings", PartnerName: "Nationalmuseum", PartnerType: "museum", Country: "se", SubjectQID: "q3305213", TemplateID: priv.ID}
		if _, err := st.PublishCaseStudy(ctx, cs); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("private template linked: %v", err)
		}
		cs.TemplateID = 0
		pub, err := st.PublishCaseStudy(ctx, cs)
		if err != nil || pub.Country != "SE" || pub.SubjectQID != "Q3305213" {
			t.Fatalf("publish: %+v %v", pub, err)
		}
		grpCase, err := st.PublishCaseStudy(ctx, &jobs.CaseStudy{GroupID: g.ID, OwnerID: ann.ID, Title: "Team", PartnerName: "Archives", PartnerType: "archive", Country: "DE"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			f    jobs.ShowcaseFilter
			want int
		}{{jobs.ShowcaseFilter{}, 2}, {jobs.ShowcaseFilter{PartnerType: "museum"}, 1}, {jobs.ShowcaseFilter{Country: "de"}, 1}, {jobs.ShowcaseFilter{SubjectQID: "Q3305213"}, 1}, {jobs.ShowcaseFilter{Country: "FR"}, 0}} {
			got, err := st.CaseStudies(ctx, c.f, 10)
			if err != nil || len(got) != c.want {
				t.Errorf("showcase %+v: %d (%v), want %d", c.f, len(got), err, c.want)
			}
		}
		// Publishing again replaces; unpublishing and deleting remove.
		if _, err := st.PublishCaseStudy(ctx, cs); err != nil {
			t.Fatal(err)
		}
		if all, _ := st.CaseStudies(ctx, jobs.ShowcaseFilter{}, 10); len(all) != 2 {
			t.Fatalf("republish duplicated: %d", len(all))
		}
		if err := st.UnpublishCaseStudy(ctx, grpCase.ID); err != nil {
			t.Fatal(err)
		}
		_ = st.DeleteJob(ctx, j.ID)
		if all, _ := st.CaseStudies(ctx, jobs.ShowcaseFilter{}, 10); len(all) != 0 {
			t.Fatalf("case study of a deleted job still listed: %d", len(all))
		}
	})
}
