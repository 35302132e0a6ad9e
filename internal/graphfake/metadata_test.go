package graphfake

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/csdl"
)

// Every entity and collection the emulator answers uses only what
// Microsoft's beta metadata declares for its type (internal/csdl): property
// names, types, nullability, derived @odata.type values and enum members.
// The scenario reaches every answer with a body: create, read (whole,
// $select, $expand under every read behaviour), update, list (plain and
// expanded, paged) and both collection routes with every target type.
func TestAnswersConformToTheMetadata(t *testing.T) {
	m, err := csdl.Beta()
	if err != nil {
		t.Fatal(err)
	}
	for _, reads := range ReadBehaviours {
		t.Run(string(reads), func(t *testing.T) {
			s := startServer(t, Options{PageSize: 2, Reads: reads})
			token := requestToken(t, s)
			checked := 0
			check := func(r response, method, path string) {
				t.Helper()
				if r.status >= 300 {
					t.Fatalf("%s %s: status %d %s", method, path, r.status, r.body)
				}
				if len(r.body) == 0 {
					return
				}
				checked++
				var p csdl.Problems
				route := strings.SplitN(strings.TrimPrefix(path, configurationsPath), "?", 2)[0]
				switch {
				case route == "" && method == http.MethodGet:
					p = m.Collection("iosLobAppProvisioningConfiguration", r.body)
				case strings.HasSuffix(route, "/assignments"):
					p = m.Collection("iosLobAppProvisioningConfigurationAssignment", r.body)
				case strings.HasSuffix(route, "/groupAssignments"):
					p = m.Collection("mobileAppProvisioningConfigGroupAssignment", r.body)
				default:
					p = m.Entity("iosLobAppProvisioningConfiguration", r.body)
				}
				if len(p) > 0 {
					t.Errorf("%s %s answered what the metadata does not declare:\n%v\nbody: %s", method, path, p, r.body)
				}
			}
			call := func(method, path, body string) response {
				t.Helper()
				r := graphCall(t, s, token, method, path, body)
				check(r, method, path)
				return r
			}

			created := decodeEntity(t, call(http.MethodPost, configurationsPath, createBody))
			id := created["id"].(string)
			call(http.MethodPatch, configPath(id), `{"description":null,"expirationDateTime":null}`) // nullable ones, null
			call(http.MethodPatch, configPath(id), `{"displayName":"Renamed","roleScopeTagIds":["0","9"]}`)
			if r := call(http.MethodPost, configPath(testConfigID)+"/assign", assignBody([]string{groupA, groupB, "cccccccc-0000-0000-0000-00000000000c"}, []string{
				groupTarget(groupTargetType, groupA),
				groupTarget(exclusionTargetType, groupB),
				`{"@odata.type":"` + allDevicesTargetType + `","deviceAndAppManagementAssignmentFilterId":"` + filterF + `","deviceAndAppManagementAssignmentFilterType":"include"}`,
				`{"@odata.type":"#microsoft.graph.allLicensedUsersAssignmentTarget","deviceAndAppManagementAssignmentFilterId":"` + filterF + `","deviceAndAppManagementAssignmentFilterType":"exclude"}`,
				`{"@odata.type":"` + collectionTargetType + `","collectionId":"SMS00001","deviceAndAppManagementAssignmentFilterId":null,"deviceAndAppManagementAssignmentFilterType":"none"}`,
			})); r.status != http.StatusNoContent {
				t.Fatalf("assign: %d", r.status)
			}
			// A configuration with every property set, one with the nullable ones null.
			if err := s.EditConfiguration(testConfigID, func(c *ConfigurationState) {
				c.Description = "portal"
				c.Expiration = time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
			}); err != nil {
				t.Fatal(err)
			}
			for _, cfg := range []string{testConfigID, id} {
				call(http.MethodGet, configPath(cfg), "")
				call(http.MethodGet, configPath(cfg)+"?$select=id", "")
				call(http.MethodGet, configPath(cfg)+"?$select=id,displayName,expirationDateTime", "")
				if reads != ReadsRefuseExpand {
					call(http.MethodGet, configPath(cfg)+"?$expand=assignments,groupAssignments", "")
					call(http.MethodGet, configPath(cfg)+"?$select=id&$expand=assignments,groupAssignments", "")
				}
				for _, collection := range []string{"/assignments", "/groupAssignments"} {
					for next := s.URL() + configPath(cfg) + collection; next != ""; {
						r := call(http.MethodGet, strings.TrimPrefix(next, s.URL()), "")
						next = nextLink(t, r)
					}
				}
			}
			lists := []string{"?$select=id,displayName,description,payloadFileName,expirationDateTime,roleScopeTagIds,createdDateTime,lastModifiedDateTime,version", ""}
			if reads != ReadsRefuseExpand {
				lists = append(lists, "?$expand=assignments")
			}
			s.SetPageSize(1)
			for _, q := range lists {
				for next := s.URL() + configurationsPath + q; next != ""; {
					r := call(http.MethodGet, strings.TrimPrefix(next, s.URL()), "")
					next = nextLink(t, r)
				}
			}
			if checked < 20 {
				t.Errorf("only %d answers checked", checked)
			}
		})
	}
}

func nextLink(t *testing.T, r response) string {
	t.Helper()
	next, _ := decodeEntity(t, r)["@odata.nextLink"].(string)
	return next
}

// Every answer of the app routes reachable without Storage conforms to the
// metadata too: the app (created, read, updated, listed and paged, seeded
// and published, with $select and $expand), content versions and their
// list, files pending, failed and committed (a portal upload), and the
// app's assignments. The answers that need Storage
// (a file with its SAS, committing, committed by the API) are checked in
// TestContentUploadAgainstAzurite.
func TestAppAnswersConformToTheMetadata(t *testing.T) {
	m, err := csdl.Beta()
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Options{PageSize: 1})
	token := requestToken(t, s)
	checked := 0
	call := func(method, path, body, typ string, collection bool) map[string]any {
		t.Helper()
		r := graphCall(t, s, token, method, path, body)
		if r.status >= 300 {
			t.Fatalf("%s %s: status %d %s", method, path, r.status, r.body)
		}
		p := m.Entity(typ, r.body)
		if collection {
			p = m.Collection(typ, r.body)
		}
		if len(p) > 0 {
			t.Errorf("%s %s answered what the metadata does not declare:\n%v\nbody: %s", method, path, p, r.body)
		}
		checked++
		return decodeEntity(t, r)
	}

	id := call(http.MethodPost, mobileAppsPath, appCreateBody(iosLobAppODataType, testBundleID), "iosLobApp", false)["id"].(string)
	call(http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","description":null,"minimumSupportedOperatingSystem":null,"expirationDateTime":null,"roleScopeTagIds":null}`, "iosLobApp", false)
	call(http.MethodGet, appPath(id), "", "iosLobApp", false)
	seeded, err := s.AddIOSLobApp(IOSLobAppSeed{IPA: testIPA(t, "com.example.seeded", "3")})
	if err != nil {
		t.Fatal(err)
	}
	call(http.MethodGet, appPath(seeded), "", "iosLobApp", false)
	for next := mobileAppsPath + "?$filter=isof('microsoft.graph.iosLobApp')"; next != ""; {
		next = strings.TrimPrefix(nextLinkOf(call(http.MethodGet, next, "", "iosLobApp", true)), s.URL())
	}
	call(http.MethodPost, contentPath(id), `{}`, "mobileAppContent", false)
	call(http.MethodGet, contentPath(id)+"/1", "", "mobileAppContent", false)
	call(http.MethodGet, contentPath(seeded), "", "mobileAppContent", true)
	file := call(http.MethodPost, contentPath(id)+"/1/files", fileEntryBody(10, 64), "mobileAppContentFile", false)["id"].(string)
	call(http.MethodGet, contentPath(id)+"/1/files/"+file, "", "mobileAppContentFile", false) // failed: no Storage
	call(http.MethodGet, contentPath(id)+"/1/files", "", "mobileAppContentFile", true)
	call(http.MethodGet, contentPath(seeded)+"/1/files", "", "mobileAppContentFile", true) // committed

	// Its assignments: every target type, settings null, partly and wholly
	// set, paged; the app read with $select and with them expanded.
	assignBody := appAssignBody(
		appAssignment(IntentRequired, groupTarget(groupTargetType, groupA), "null"),
		appAssignment(IntentAvailable, `{"@odata.type":"`+allLicensedUsersTargetType+`","deviceAndAppManagementAssignmentFilterId":"`+filterF+`","deviceAndAppManagementAssignmentFilterType":"exclude"}`, iosSettings),
		appAssignment(IntentUninstall, groupTarget(exclusionTargetType, groupB), `{"@odata.type":"#microsoft.graph.iosLobAppAssignmentSettings"}`),
		appAssignment(IntentRequired, `{"@odata.type":"`+allDevicesTargetType+`"}`, `{"@odata.type":"#microsoft.graph.iosLobAppAssignmentSettings","vpnConfigurationId":"`+filterF+`","uninstallOnDeviceRemoval":true,"isRemovable":false,"preventManagedAppBackup":false}`),
		appAssignment(IntentAvailableWithoutEnrollment, `{"@odata.type":"`+collectionTargetType+`","collectionId":"SMS00001"}`, "null"),
	)
	if r := graphCall(t, s, token, http.MethodPost, appPath(seeded)+"/assign", assignBody); r.status != http.StatusNoContent {
		t.Fatalf("assign: %d %s", r.status, r.body)
	}
	for next := appPath(seeded) + "/assignments"; next != ""; {
		next = strings.TrimPrefix(nextLinkOf(call(http.MethodGet, next, "", "mobileAppAssignment", true)), s.URL())
	}
	call(http.MethodGet, appPath(seeded)+"?$select=id,publishingState", "", "iosLobApp", false)
	call(http.MethodGet, appPath(seeded)+"?$select=microsoft.graph.iosLobApp/bundleId,isAssigned", "", "iosLobApp", false)
	call(http.MethodGet, appPath(seeded)+"?$expand=assignments", "", "iosLobApp", false)
	for next := mobileAppsPath + "?$select=id,displayName,publishingState"; next != ""; {
		next = strings.TrimPrefix(nextLinkOf(call(http.MethodGet, next, "", "iosLobApp", true)), s.URL())
	}
	if checked < 23 {
		t.Errorf("only %d answers checked", checked)
	}
}

func nextLinkOf(page map[string]any) string {
	next, _ := page["@odata.nextLink"].(string)
	return next
}
