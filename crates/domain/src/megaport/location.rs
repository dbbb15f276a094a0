//! Megaport locations: the data centres products are ordered in. crosslink serves the metros
//! DigitalOcean offers Partner Network Connect in, two data centres each, both diversity zones.

/// A data centre where ports, MCRs and MVEs can be ordered.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: u32,
    pub name: &'static str,
    pub site_code: &'static str,
    /// DigitalOcean's metro code (`nyc`), the join with partner attachments.
    pub do_metro: &'static str,
    /// Megaport's metro name.
    pub metro: &'static str,
    /// Megaport's market: the country's billing market code.
    pub market: &'static str,
    pub country: &'static str,
    pub city: &'static str,
    pub street: &'static str,
    pub postcode: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    pub data_centre: &'static str,
}

/// MCR speeds a location offers in each zone (Mbps), as Megaport's SDK lists them.
pub const MCR_SPEEDS: &[u32] = &[1000, 2500, 5000, 10000, 25000, 50000, 100000];
/// Port speeds a location offers in each zone (Mbps).
pub const PORT_SPEEDS: &[u32] = &[1000, 10000, 100000];
/// Every location is `Active` (orderable).
pub const STATUS: &str = "Active";

macro_rules! loc {
    ($id:expr, $name:expr, $site:expr, $do:expr, $metro:expr, $market:expr, $country:expr, $street:expr, $pc:expr, $lat:expr, $lon:expr, $dc:expr) => {
        Location {
            id: $id,
            name: $name,
            site_code: $site,
            do_metro: $do,
            metro: $metro,
            market: $market,
            country: $country,
            city: $metro,
            street: $street,
            postcode: $pc,
            latitude: $lat,
            longitude: $lon,
            data_centre: $dc,
        }
    };
}

/// The locations, the first of each metro being where DigitalOcean's partner ports are.
pub const LOCATIONS: &[Location] = &[
    loc!(
        61,
        "Equinix NY5",
        "nyc-ny5",
        "nyc",
        "New York",
        "US",
        "USA",
        "800 Secaucus Road",
        "07094",
        40.7773,
        -74.0721,
        "Equinix NY5"
    ),
    loc!(
        62,
        "Digital Realty NYC1",
        "nyc-60h",
        "nyc",
        "New York",
        "US",
        "USA",
        "60 Hudson Street",
        "10013",
        40.7177,
        -74.0086,
        "Digital Realty NYC1"
    ),
    loc!(
        71,
        "Equinix SV1",
        "sjc-sv1",
        "sfo",
        "San Francisco",
        "US",
        "USA",
        "11 Great Oaks Blvd",
        "95119",
        37.2418,
        -121.7818,
        "Equinix SV1"
    ),
    loc!(
        72,
        "Digital Realty SFO1",
        "sfo-365",
        "sfo",
        "San Francisco",
        "US",
        "USA",
        "365 Main Street",
        "94105",
        37.7897,
        -122.3900,
        "Digital Realty SFO1"
    ),
    loc!(
        81,
        "Equinix FR5",
        "fra-fr5",
        "fra",
        "Frankfurt",
        "DE",
        "Germany",
        "Kleyerstrasse 90",
        "60326",
        50.1005,
        8.6300,
        "Equinix FR5"
    ),
    loc!(
        82,
        "Interxion FRA6",
        "fra-ix6",
        "fra",
        "Frankfurt",
        "DE",
        "Germany",
        "Hanauer Landstrasse 298",
        "60314",
        50.1186,
        8.7350,
        "Interxion FRA6"
    ),
    loc!(
        91,
        "Equinix AM3",
        "ams-am3",
        "ams",
        "Amsterdam",
        "NL",
        "Netherlands",
        "Science Park 610",
        "1098 XH",
        52.3567,
        4.9531,
        "Equinix AM3"
    ),
    loc!(
        92,
        "Digital Realty AMS1",
        "ams-dr1",
        "ams",
        "Amsterdam",
        "NL",
        "Netherlands",
        "Johan Huizingalaan 759",
        "1066 VH",
        52.3442,
        4.8286,
        "Digital Realty AMS1"
    ),
    loc!(
        101,
        "Equinix SG1",
        "sin-sg1",
        "sgp",
        "Singapore",
        "SG",
        "Singapore",
        "20 Ayer Rajah Crescent",
        "139964",
        1.2967,
        103.7877,
        "Equinix SG1"
    ),
    loc!(
        102,
        "Global Switch Singapore",
        "sin-gs1",
        "sgp",
        "Singapore",
        "SG",
        "Singapore",
        "2 Tai Seng Avenue",
        "534408",
        1.3350,
        103.8880,
        "Global Switch Singapore"
    ),
];

pub fn by_id(id: u32) -> Option<&'static Location> {
    LOCATIONS.iter().find(|l| l.id == id)
}

/// Where DigitalOcean's partner ports of a DigitalOcean metro are.
pub fn partner_location(do_metro: &str) -> Option<&'static Location> {
    LOCATIONS.iter().find(|l| l.do_metro == do_metro)
}
