//! The CBV 2.0 standard vocabularies: the bare-string values EPCIS 2.0 JSON-LD allows
//! for business steps, dispositions, business transaction types, source/destination
//! types, error reasons and sensor measurement types, exceptions and components, and
//! the web-vocabulary IRI each one stands for (GS1 Core Business Vocabulary 2.0).

/// biz steps.
pub const BIZ_STEPS: &[&str] = &[
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "sampling",
    "sensor_reporting",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
];

/// dispositions.
pub const DISPOSITIONS: &[&str] = &[
    "active",
    "available",
    "completeness_verified",
    "completeness_inferred",
    "conformant",
    "container_closed",
    "container_open",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "mismatch_instance",
    "mismatch_class",
    "mismatch_quantity",
    "needs_replacement",
    "no_pedigree_match",
    "non_conformant",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unavailable",
    "unknown",
];

/// source dest types.
pub const SOURCE_DEST_TYPES: &[&str] = &["owning_party", "possessing_party", "location"];

/// biz transaction types.
pub const BIZ_TRANSACTION_TYPES: &[&str] = &[
    "bol",
    "cert",
    "desadv",
    "inv",
    "pedigree",
    "po",
    "poc",
    "prodorder",
    "recadv",
    "rma",
    "testprd",
    "testres",
    "upevt",
];

/// measurement types.
pub const MEASUREMENT_TYPES: &[&str] = &[
    "AbsoluteHumidity",
    "AbsorbedDose",
    "AbsorbedDoseRate",
    "Acceleration",
    "Radioactivity",
    "Altitude",
    "AmountOfSubstance",
    "AmountOfSubstancePerUnitVolume",
    "Angle",
    "AngularAcceleration",
    "AngularMomentum",
    "AngularVelocity",
    "Area",
    "Capacitance",
    "Conductance",
    "Conductivity",
    "Count",
    "Density",
    "Dimensionless",
    "DoseEquivalent",
    "DoseEquivalentRate",
    "DynamicViscosity",
    "ElectricCharge",
    "ElectricCurrent",
    "ElectricCurrentDensity",
    "ElectricFieldStrength",
    "Energy",
    "Exposure",
    "Force",
    "Frequency",
    "Illuminance",
    "Inductance",
    "Irradiance",
    "KinematicViscosity",
    "Length",
    "LinearMomentum",
    "Luminance",
    "LuminousFlux",
    "LuminousIntensity",
    "MagneticFlux",
    "MagneticFluxDensity",
    "MagneticVectorPotential",
    "Mass",
    "MassConcentration",
    "MassFlowRate",
    "MassPerAreaTime",
    "MemoryCapacity",
    "MolalityOfSolute",
    "MolarEnergy",
    "MolarMass",
    "MolarVolume",
    "Power",
    "Pressure",
    "RadiantFlux",
    "RadiantIntensity",
    "RelativeHumidity",
    "Resistance",
    "Resistivity",
    "SolidAngle",
    "SpecificVolume",
    "Speed",
    "SurfaceDensity",
    "SurfaceTension",
    "Temperature",
    "Time",
    "Torque",
    "Voltage",
    "Volume",
    "VolumeFlowRate",
    "VolumeFraction",
    "VolumetricFlux",
    "Wavenumber",
];

/// sensor exceptions.
pub const SENSOR_EXCEPTIONS: &[&str] = &["ALARM_CONDITION", "ERROR_CONDITION"];

/// components.
pub const COMPONENTS: &[&str] = &[
    "x",
    "y",
    "z",
    "axial_distance",
    "azimuth",
    "height",
    "spherical_radius",
    "polar_angle",
    "elevation_angle",
    "easting",
    "northing",
    "latitude",
    "longitude",
    "altitude",
];

/// error reasons.
pub const ERROR_REASONS: &[&str] = &["did_not_occur", "incorrect_data"];

/// Which standard vocabulary a field takes its bare strings from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vocab {
    /// `bizStep`: `https://ref.gs1.org/cbv/BizStep-…`.
    BizStep,
    /// `disposition`, `persistentDisposition.set/unset`: `https://ref.gs1.org/cbv/Disp-…`.
    Disposition,
    /// bizTransaction `type`: `https://ref.gs1.org/cbv/BTT-…`.
    BizTransactionType,
    /// source / destination `type`: `https://ref.gs1.org/cbv/SDT-…`.
    SourceDestType,
    /// errorDeclaration `reason`: `https://ref.gs1.org/cbv/ER-…`.
    ErrorReason,
    /// sensorReport `type`: `https://gs1.org/voc/…`.
    MeasurementType,
    /// sensorReport `exception`: `https://gs1.org/voc/…`.
    SensorException,
    /// sensorReport `component`: `https://ref.gs1.org/cbv/Comp-…`.
    Component,
}

impl Vocab {
    /// The terms of the vocabulary.
    pub fn terms(self) -> &'static [&'static str] {
        match self {
            Vocab::BizStep => BIZ_STEPS,
            Vocab::Disposition => DISPOSITIONS,
            Vocab::BizTransactionType => BIZ_TRANSACTION_TYPES,
            Vocab::SourceDestType => SOURCE_DEST_TYPES,
            Vocab::ErrorReason => ERROR_REASONS,
            Vocab::MeasurementType => MEASUREMENT_TYPES,
            Vocab::SensorException => SENSOR_EXCEPTIONS,
            Vocab::Component => COMPONENTS,
        }
    }

    /// The IRI prefix a bare term is appended to.
    pub fn iri_prefix(self) -> &'static str {
        match self {
            Vocab::BizStep => "https://ref.gs1.org/cbv/BizStep-",
            Vocab::Disposition => "https://ref.gs1.org/cbv/Disp-",
            Vocab::BizTransactionType => "https://ref.gs1.org/cbv/BTT-",
            Vocab::SourceDestType => "https://ref.gs1.org/cbv/SDT-",
            Vocab::ErrorReason => "https://ref.gs1.org/cbv/ER-",
            Vocab::MeasurementType | Vocab::SensorException => "https://gs1.org/voc/",
            Vocab::Component => "https://ref.gs1.org/cbv/Comp-",
        }
    }

    /// The full IRI of a bare term, or `None` if `term` is not one of the vocabulary's.
    pub fn expand(self, term: &str) -> Option<String> {
        self.terms()
            .contains(&term)
            .then(|| format!("{}{term}", self.iri_prefix()))
    }

    /// The bare term of a full IRI or legacy `urn:epcglobal:cbv:` URN of this vocabulary.
    pub fn term_of(self, iri: &str) -> Option<&'static str> {
        let rest = iri.strip_prefix(self.iri_prefix()).or_else(|| {
            let legacy = match self {
                Vocab::BizStep => "urn:epcglobal:cbv:bizstep:",
                Vocab::Disposition => "urn:epcglobal:cbv:disp:",
                Vocab::BizTransactionType => "urn:epcglobal:cbv:btt:",
                Vocab::SourceDestType => "urn:epcglobal:cbv:sdt:",
                Vocab::ErrorReason => "urn:epcglobal:cbv:er:",
                _ => return None,
            };
            iri.strip_prefix(legacy)
        })?;
        self.terms().iter().copied().find(|t| *t == rest)
    }
}

/// Replace legacy CBV 1.x URNs (`urn:epcglobal:cbv:bizstep:` …) by the CBV 2.0 web
/// vocabulary IRIs, as the CBV 2.0 event hash prescribes.
pub fn upgrade_legacy_urns(text: &str) -> Option<String> {
    if !text.contains("urn:epcglobal:cbv:") {
        return None;
    }
    Some(
        text.replace(
            "urn:epcglobal:cbv:bizstep:",
            "https://ref.gs1.org/cbv/BizStep-",
        )
        .replace("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-")
        .replace("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-")
        .replace("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-")
        .replace("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
    )
}

/// Prefixes the standard EPCIS 2.0 JSON-LD context defines.
pub const STANDARD_PREFIXES: &[(&str, &str)] = &[
    ("epcis", "https://ref.gs1.org/epcis/"),
    ("cbv", "https://ref.gs1.org/cbv/"),
    ("cbvmda", "urn:epcglobal:cbv:mda:"),
    ("gs1", "https://gs1.org/voc/"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("dcterms", "http://purl.org/dc/terms/"),
];
