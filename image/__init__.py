"""The terminal's SD image: base root, project layer, disk, update bundle, and its QEMU boot.

``python -m image.build`` (``make image`` / ``make bundle``) assembles it the way Raspberry Pi's
rpi-image-gen does: mmdebstrap for the root, genimage for the disk, one project layer
(image/packages/, image/layer/, the units in systemd/) shared by every target.
"""
