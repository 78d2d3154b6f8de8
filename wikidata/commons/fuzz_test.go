package commons

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzUploadAnswer feeds the upload module's answers to the decoder: it
// never panics, and a result it accepts is one of the three it knows,
// whose warnings' codes and text agree.
func FuzzUploadAnswer(f *testing.F) {
	for _, seed := range []string{
		`{"upload":{"result":"Warning","warnings":{"badfilename":"My_bad:filename.png"},"filekey":"19mmz8arzreg.9md1cj.2283740.png","sessionkey":"19mmz8arzreg.9md1cj.2283740.png"}}`,
		`{"upload":{"result":"Warning","warnings":{"duplicate":["A.jpg","B.jpg"],"exists":"C.jpg","nochange":{"timestamp":"2020-01-01T00:00:00Z"}},"filekey":"k"}}`,
		`{"upload":{"result":"Continue","offset":5242880,"filekey":"17n7ip5gmiq8.ajzhwc.1.jpg"}}`,
		`{"upload":{"result":"Success","filename":"File_1.jpg","imageinfo":{"sha1":"ba4e5ff6a0ef8ca5ea4b4d3d8c0e6f4e5bd0a2ba","size":52463}}}`,
		`{"upload":{"result":"Poll"}}`,
		`{"upload":{"result":"Warning","warnings":{"duplicate":"not a list"}}}`,
		`{"upload":{"result":"Warning","warnings":{"was-deleted":5,"thumb":{}}}}`,
		`{}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var a uploadAnswer
		if json.Unmarshal([]byte(body), &a) != nil {
			return
		}
		res, err := a.result("upload")
		if err != nil {
			return
		}
		switch res.Result {
		case "Success", "Warning", "Continue":
		default:
			t.Fatalf("accepted result %q", res.Result)
		}
		codes := res.Warnings.Codes()
		if (len(codes) > 0) != res.Warnings.Any() || (len(codes) > 0) != (res.Warnings.String() != "") {
			t.Fatalf("codes %v, text %q", codes, res.Warnings.String())
		}
		if res.Warnings.NoChange && !strings.Contains(res.Warnings.String(), "already there") {
			t.Fatalf("nochange not said: %q", res.Warnings.String())
		}
	})
}
