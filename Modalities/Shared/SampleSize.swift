import Networks

extension IntOrList {
    /// A UNet config's `sample_size` (an int for square latents, or [height, width]) times the
    /// VAE's factor: the pipeline's default image size in pixels, `fallback` latents when absent.
    public static func defaultPixelSize(_ sampleSize: IntOrList?, fallback: Int, factor: Int) -> (width: Int, height: Int) {
        switch sampleSize {
        case let .int(side)?: (side * factor, side * factor)
        case let .list(sides)? where sides.count == 2: (sides[1] * factor, sides[0] * factor)
        default: (fallback * factor, fallback * factor)
        }
    }
}
