"""Human pose for reach detection: keypoint layouts and pose models run on shoppers at shelves."""
