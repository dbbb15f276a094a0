"""The Megaport portal half of the console, clicked through in Chromium from empty companies:
the service-keys seed (East shares a port with a key, West connects with it, a VLAN change
waits for East's approval); and the MCR + VXC half of the partner-attachment seed (the VXC's
BGP session comes up on the loopback fabric and the looking glass shows it), which
test_console_partner_attachment.py clicks between its DigitalOcean pages."""

import re
import uuid

from playwright.sync_api import expect

from console_support import PHONE, check_a11y, check_focus_order, sign_in_megaport
from megaport_support import MP, envelope, oauth_token, unique
from support import new_token

LIVE = 20_000  # ms: provisioning and BGP on the loopback fabric take seconds


def service(page, name: str):
    return page.locator("section.service").filter(has=page.get_by_role("heading", name=re.compile(re.escape(name))))


def order_product(page, link: str, name: str, speed: str, *, term: str = "1") -> None:
    """Create MCR / Create Port from Services, then back on Services until it is LIVE."""
    page.get_by_role("link", name=link).click()
    page.get_by_label(re.compile("^(Rate limit|Port speed)$")).select_option(speed)
    page.get_by_label(re.compile("^(MCR|Port) name$")).fill(name)
    page.get_by_label("Minimum term").select_option(term)
    page.get_by_role("button", name=re.compile("^Order ")).click()
    expect(page.get_by_role("heading", name="Services", level=1)).to_be_visible()
    expect(service(page, name)).to_contain_text("LIVE", timeout=LIVE)


def key_row(page, label: str):
    return page.locator("#keys tbody tr").filter(has_text=label)


def set_active(page, label: str, active: bool) -> None:
    key_row(page, label).get_by_role("link", name=f"Edit key {label}").click()
    expect(page.get_by_role("heading", name="Edit Service Key")).to_be_visible()
    page.get_by_label("Active").set_checked(active)
    page.steps.shot("edit-key-" + ("activate" if active else "deactivate"))
    page.get_by_role("button", name="Update Service Key").click()
    expect(key_row(page, label).locator(".key-active")).to_have_text("Active" if active else "Inactive")


def connect_with_key(page, mcr: str, key: str, name: str, rate: str) -> None:
    """+ Connection, step 1: Enter Service Key (checked as typed), name, rate limit, term."""
    service(page, mcr).get_by_role("link", name=f"+ Connection on {mcr}").click()
    expect(page.get_by_role("heading", name=re.compile(r"\+ Connection"))).to_be_visible()
    page.get_by_label("Service key").fill(key)
    expect(page.locator("#service_key-status")).to_contain_text("Valid Service Key")
    page.get_by_label("Connection name").fill(name)
    page.get_by_label("Rate limit (Mbps)").fill(rate)
    term = page.get_by_label("Minimum term")
    expect(term).to_have_value("12")
    expect(page.locator("#term-hint")).to_contain_text("12 month")
    term.select_option("1")


def test_service_keys_between_two_companies(console, server):
    page = console
    east, west = unique("east"), unique("west")
    port, mcr = unique("east-port"), unique("west-mcr")

    # East: an empty company creates a Port (a service key needs something to connect to).
    sign_in_megaport(page, east)
    expect(page.get_by_role("heading", name="Services", level=1)).to_be_visible()
    page.steps.shot("east-services-empty")
    page.get_by_role("link", name="Create Port").click()
    expect(page.get_by_text("This setting cannot change after creation")).to_be_visible()
    check_a11y(page, "Create Port")
    check_focus_order(page, "Create Port")
    page.steps.shot("create-port")
    page.get_by_role("link", name="← Services").click()
    order_product(page, "Create Port", port, "10000")
    page.steps.shot("east-port-live")
    check_a11y(page, "Services")
    check_focus_order(page, "Services")

    # Service Keys → Create Service Key: single use, a VLAN, a rate limit, active.
    service(page, port).get_by_role("link", name=f"Service Keys of {port}").click()
    expect(page.get_by_role("heading", name=re.compile("Service Keys"))).to_be_visible()
    page.get_by_role("link", name="Create Service Key").click()
    page.get_by_label("Label").fill("for-west")
    page.get_by_label("Single Use").check()
    page.get_by_label("Rate limit (Mbps)").fill("500")
    page.get_by_label("VLAN (B-End)").fill("100")
    expect(page.get_by_label("Active")).to_be_checked()
    check_a11y(page, "Create Service Key")
    check_focus_order(page, "Create Service Key")
    page.steps.shot("create-service-key")
    page.get_by_role("button", name="Add").click()

    row = key_row(page, "for-west")
    expect(row).to_contain_text("Single Use")
    expect(row).to_contain_text("VLAN 100")
    key = row.locator("code").inner_text().strip()
    assert str(uuid.UUID(key)) == key, key
    row.get_by_role("button", name="Copy key for-west").click()
    expect(row.get_by_role("status")).to_have_text(re.compile("Copied|Selected"))
    if row.get_by_role("status").inner_text() == "Copied":
        assert page.evaluate("() => navigator.clipboard.readText()") == key
    page.steps.shot("service-key-copied")
    check_a11y(page, "Service Keys")
    check_focus_order(page, "Service Keys")

    # A second key on the same VLAN is refused beside the VLAN field, in Megaport's words.
    page.get_by_role("link", name="Create Service Key").click()
    page.get_by_label("Label").fill("again")
    page.get_by_label("Rate limit (Mbps)").fill("100")
    page.get_by_label("VLAN (B-End)").fill("100")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#vlan-error")).to_contain_text(re.compile(r"VLAN 100 is not available"))
    expect(page.get_by_label("VLAN (B-End)")).to_have_attribute("aria-invalid", "true")
    page.steps.shot("vlan-not-available")
    page.get_by_role("link", name="Cancel").click()

    # Edit → clear Active → Update Service Key: the list shows it inactive; then active again.
    set_active(page, "for-west", False)
    check_a11y(page, "Service Keys with an inactive key")
    page.steps.shot("key-inactive")
    key_row(page, "for-west").get_by_role("link", name="Edit key for-west").click()
    check_a11y(page, "Edit Service Key")
    check_focus_order(page, "Edit Service Key")
    page.get_by_role("link", name="Cancel").click()
    set_active(page, "for-west", True)

    # West (another access key is another company): an MCR, then + Connection with East's key.
    sign_in_megaport(page, west)
    # The header names the new company, by a name that is never its access key (a partner
    # sees it, and under open auth the key is all it takes to sign in as it).
    header = page.get_by_text(re.compile("Megaport company:"))
    expect(header).to_contain_text(re.compile(r"company-[0-9a-f]{8}"))
    expect(header).not_to_contain_text(west)
    order_product(page, "Create MCR", mcr, "1000")
    connect_with_key(page, mcr, key, "to-east", "500")
    check_a11y(page, "+ Connection step 1")
    check_focus_order(page, "+ Connection step 1")
    page.steps.shot("connect-step-1")
    page.get_by_role("button", name="Next").click()
    # A port at the far end needs no MCR interface: straight on to the summary.
    expect(page.get_by_label("Interface IP Address")).to_be_visible()
    page.steps.shot("connect-step-2")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#summary")).to_contain_text("to-east")
    page.steps.shot("connect-step-3")
    page.get_by_role("button", name="Add VXC").click()

    expect(page).to_have_url(re.compile(r"/megaport/vxc/[0-9a-f-]{36}$"))
    vxc_uid = page.url.rsplit("/", 1)[1]
    expect(page.locator("#service-status")).to_contain_text("LIVE", timeout=LIVE)
    page.steps.shot("west-vxc-live")
    # West changes its A-End VLAN (Edit connection); on a partnership it waits for East.
    page.get_by_text("Edit connection").click()
    page.get_by_label("Your A-End VLAN").fill("300")
    page.steps.shot("west-edits-vlan")
    page.get_by_role("button", name="Save changes").click()
    waiting = page.get_by_role("region", name="Change waiting for approval")
    expect(waiting).to_contain_text("Waiting for your partner's approval")
    expect(waiting).to_contain_text("VLAN 300")
    page.steps.shot("west-vlan-change-waits")
    page.get_by_role("link", name="← Services").click()
    expect(service(page, mcr)).to_contain_text("to-east")

    # East sees its B-End on Services.
    sign_in_megaport(page, east)
    east_port = service(page, port)
    expect(east_port).to_contain_text("to-east")
    expect(east_port).to_contain_text("B-End")
    expect(east_port).to_contain_text("100")
    page.steps.shot("east-sees-b-end")

    # East finds West's VLAN change waiting on the VXC's page.
    east_port.get_by_role("link", name="to-east").click()
    box = page.get_by_role("region", name="Change waiting for approval")
    expect(box).to_contain_text("A-End to VLAN 300")
    check_a11y(page, "VXC details with an approval box")
    check_focus_order(page, "VXC details with an approval box")
    page.steps.shot("east-approval-box")
    box.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("region", name="Change waiting for approval")).to_have_count(0)
    page.steps.shot("east-approved")
    # The change is made: the Megaport API says so to West (megaportgo's GetVXC).
    token = oauth_token(server, west, "secret").json()["access_token"]
    a_end = envelope(MP(server, token, name=west).get(f"/v2/product/{vxc_uid}"))["aEnd"]
    assert a_end["vlan"] == 300, a_end

    # Phone width: Services without sideways scrolling.
    page.set_viewport_size(PHONE)
    page.goto("/megaport/services")
    expect(service(page, port)).to_contain_text("to-east")
    assert not page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
    page.steps.shot("phone-services")


def mcr_and_vxc_in_the_portal(page, key: str, auth_key: str, bgp: dict) -> str:
    """The partner-attachment seed's Megaport half, clicked: sign in as a new company, Create
    MCR (12 months by default, No Minimum Term chosen, ASN 133937), + Connection with the
    attachment's service key and BGP details (local and peer flipped), Add VXC, then the VXC's
    Configuration Details until Service Status and BGP are green. Returns the MCR's name.
    `test_console_partner_attachment.py` runs it between the DigitalOcean pages."""
    interface_ip = bgp["peer_router_ip"]  # 169.254.0.6/29: the MCR's side
    peer_ip = bgp["local_router_ip"].split("/")[0]  # 169.254.0.1: DigitalOcean's side
    mcr = unique("mcr-nyc")

    sign_in_megaport(page, unique("do-customer"))
    page.get_by_role("link", name="Create MCR").click()
    # The seed: 12 months by default, No Minimum Term offered, ASN 133937 by default.
    expect(page.get_by_label("Minimum term")).to_have_value("12")
    expect(page.get_by_label("Minimum term").locator("option:checked")).to_have_text("12 Months")
    expect(page.get_by_label("MCR ASN")).to_have_value("133937")
    expect(page.get_by_text("This setting cannot change after creation")).to_be_visible()
    page.get_by_label("Location").select_option("61")
    page.get_by_label("Rate limit").select_option("2500")
    page.get_by_label("MCR name").fill(mcr)
    page.get_by_label("Minimum term").select_option(label="No Minimum Term")
    check_a11y(page, "Create MCR")
    check_focus_order(page, "Create MCR")
    page.steps.shot("create-mcr")
    page.get_by_role("button", name="Order MCR").click()
    expect(service(page, mcr)).to_contain_text("LIVE", timeout=LIVE)
    page.steps.shot("mcr-live")

    # + Connection → Enter Service Key: checked as typed.
    service(page, mcr).get_by_role("link", name=f"+ Connection on {mcr}").click()
    page.get_by_label("Service key").fill("not-a-key")
    expect(page.locator("#service_key-status")).not_to_be_empty()
    expect(page.locator("#service_key-status")).not_to_contain_text("Valid Service Key")
    page.steps.shot("key-refused-as-typed")
    page.get_by_role("link", name="← Services").click()
    connect_with_key(page, mcr, key, "to-digitalocean", "1000")
    expect(page.locator("#service_key-status")).to_contain_text(re.compile(r"up to \d+ Mbps"))
    page.steps.shot("connect-step-1")
    page.get_by_role("button", name="Next").click()

    # Step 2: the interface is the attachment's peer router IP; one BGP connection to DO.
    page.get_by_label("Interface IP Address").fill(interface_ip)
    page.get_by_role("button", name="Add BGP Connection").click()
    expect(page.get_by_label("Local IP")).to_have_value(interface_ip.split("/")[0])
    page.get_by_label("Peer IP").fill(peer_ip)
    page.get_by_label("Peer ASN").fill("64532")
    page.get_by_label("BGP Password").fill(auth_key)
    check_a11y(page, "+ Connection step 2")
    check_focus_order(page, "+ Connection step 2")
    page.steps.shot("connect-step-2-bgp")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#bgp-list")).to_contain_text(peer_ip)
    page.steps.shot("connect-step-2-added")
    page.get_by_role("button", name="Next").click()

    # Step 3: everything on one page, the password only as "set".
    summary = page.locator("#summary")
    expect(summary).to_contain_text(interface_ip)
    expect(summary).to_contain_text(f"{interface_ip.split('/')[0]} → {peer_ip} (ASN 64532, password set)")
    assert auth_key not in page.locator("main").inner_text()
    check_a11y(page, "+ Connection summary")
    page.steps.shot("connect-step-3")
    page.get_by_role("button", name="Add VXC").click()

    # Configuration Details: Service Status and BGP turn green; the looking glass agrees.
    expect(page.locator("#service-status")).to_contain_text("LIVE", timeout=LIVE)
    expect(page.locator("#bgp-status")).to_contain_text("Established", timeout=LIVE)
    expect(page.locator("#service-status .dot.ok")).to_have_count(1)
    expect(page.locator("#bgp-status .dot.ok")).to_have_count(1)
    glass = page.locator("#looking-glass")
    expect(glass).to_contain_text(peer_ip)
    expect(glass.locator(".session-state")).to_contain_text("Established", timeout=LIVE)
    expect(glass).to_contain_text("Routes received")
    check_a11y(page, "VXC Configuration Details")
    check_focus_order(page, "VXC Configuration Details")
    page.steps.shot("vxc-established")

    # Services shows the VXC with a green BGP dot.
    page.get_by_role("link", name="← Services").click()
    expect(service(page, mcr)).to_contain_text("Established", timeout=LIVE)
    page.steps.shot("services-established")
    page.set_viewport_size(PHONE)
    page.reload()
    assert not page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
    page.steps.shot("phone-services")
    return mcr
