package media

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSettingsNameOnlyWhatIsFilledIn: a placeholder is a column of the
// dataset or one the planner fills; {date} is neither (the work's date is
// the partner's data), so a pattern naming it without such a column is
// refused with the reason, not left unfilled.
func TestSettingsNameOnlyWhatIsFilledIn(t *testing.T) {
	raw := json.RawMessage(`{"source":{"column":"url"},"title":"{Title}.{ext}","wikitext":"{{Information|date={date}|source={source}}}","license":{"template":"{{cc-zero}}"}}`)
	_, err := ParseSettings(raw, []string{"Title", "url"})
	if err == nil || !strings.Contains(err.Error(), "wikitext names {date}, which is neither a column of the dataset") {
		t.Fatalf("{date} without a column: %v", err)
	}
	if _, err := ParseSettings(raw, []string{"Title", "url", "date"}); err != nil {
		t.Fatalf("{date} as a column: %v", err)
	}
}
