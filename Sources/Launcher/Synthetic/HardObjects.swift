import Support

/// One painted piece of an object (a wheel, a sail, a leg).
struct Part {
    let shape: Shape
    let texture: Texture
}

/// What the hard scenes' class drawers share: the classes, where each kind
/// of object stands and how big it may be, and common surfaces.
enum HardObjects {
    /// Where an object's base lies.
    enum Footing { case ground, rails, water, sky }

    /// The classes of the hard scenes (VOC names).
    static let names = ["aeroplane", "bird", "boat", "car", "cow", "person", "train"]

    /// Height range as a fraction of the picture's height.
    static func heightRange(_ name: String, flying: Bool) -> ClosedRange<Float> {
        switch name {
        case "aeroplane": return 0.15...0.38
        case "bird": return flying ? 0.15...0.3 : 0.18...0.4
        case "boat": return 0.2...0.55
        case "car": return 0.18...0.45
        case "cow": return 0.22...0.5
        case "person": return 0.25...0.62
        default: return 0.22...0.5  // train
        }
    }

    static func footing(_ name: String, flying: Bool) -> Footing {
        switch name {
        case "aeroplane": return .sky
        case "bird": return flying ? .sky : .ground
        case "boat": return .water
        case "train": return .rails
        default: return .ground
        }
    }

    /// The parts of one object in its frame.
    static func draw(_ name: String, flying: Bool, frame f: Frame, rng: inout KeyedRandom) -> [Part] {
        switch name {
        case "aeroplane": return HardVehicles.aeroplane(f, &rng)
        case "bird": return flying ? HardCreatures.flyingBird(f, &rng) : HardCreatures.perchedBird(f, &rng)
        case "boat": return HardVehicles.boat(f, &rng)
        case "car": return HardVehicles.car(f, &rng)
        case "cow": return HardCreatures.cow(f, &rng)
        case "person": return HardCreatures.person(f, &rng)
        default: return HardVehicles.train(f, &rng)
        }
    }

    /// Window glass: dark, with a pale reflection across it.
    static func glass(_ f: Frame, _ rng: inout KeyedRandom) -> Texture {
        let dark = RGB(rng.uniform(30, 60), rng.uniform(40, 70), rng.uniform(55, 90))
        let sheen = rng.uniform(0.15, 0.45)
        let slope = rng.uniform(0.5, 1.5)
        return { x, y in
            let (u, v) = f.local(x, y)
            let band = (u * 4 + v * 4 * slope).truncatingRemainder(dividingBy: 2)
            return band > 0.2 && band < 0.7 ? dark.mixed(RGB(200, 215, 230), sheen) : dark
        }
    }

    /// A surface lit from above between local heights vTop and vBottom.
    static func paint(
        _ f: Frame, _ color: RGB, _ vTop: Float, _ vBottom: Float, _ rng: inout KeyedRandom, grain: Float = 0.08
    ) -> Texture {
        Surface.shaded(
            color, top: f.y(vTop), bottom: f.y(vBottom), noise: ValueNoise(&rng), grain: grain,
            scale: max(2, f.size * 0.05))
    }
}
